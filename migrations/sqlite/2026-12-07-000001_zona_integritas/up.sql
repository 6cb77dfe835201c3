-- Zona Integritas (issue 19, point 7): the instruments a unit attaches to its main questionnaire
-- (SPKP, SPAK), in form order, and each submission's answers to them, kept apart from the main
-- `answers` (so nothing of them counts in the SKM index, its sample or its channels) and stored
-- with the instrument's own template version. They are written in the response's transaction.
CREATE TABLE unit_instruments (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    template_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (unit_id, template_id)
);
CREATE TABLE instrument_answers (
    response_id TEXT NOT NULL REFERENCES responses(id),
    template_version_id INTEGER NOT NULL REFERENCES template_versions(id),
    element_code TEXT NOT NULL,
    score INTEGER NOT NULL,
    PRIMARY KEY (response_id, template_version_id, element_code)
);
CREATE INDEX instrument_answers_version ON instrument_answers (template_version_id);
