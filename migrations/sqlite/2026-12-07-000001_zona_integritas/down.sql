DROP TABLE instrument_answers;
DROP TABLE unit_instruments;
