DROP TABLE monthly_response_totals;
DROP TABLE monthly_element_totals;
