-- The daily totals summed per month (issue 21, point 2): kept in each response's transaction
-- beside the daily rows, so a standard period (month, quarter, semester, year) of a regency's
-- units is read from one row per unit and month instead of one per unit and day. A row is one
-- unit's: a submission only updates its own unit's rows, as it does the daily ones.
CREATE TABLE monthly_element_totals (
    unit_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    template_version_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    element_code TEXT NOT NULL,
    score_sum BIGINT NOT NULL,
    answer_count BIGINT NOT NULL,
    PRIMARY KEY (unit_id, month, template_version_id, service_id, element_code)
);

CREATE TABLE monthly_response_totals (
    unit_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    template_version_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    responses BIGINT NOT NULL,
    mean_sum DOUBLE PRECISION NOT NULL,
    mean_square_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (unit_id, month, template_version_id, service_id)
);

-- an existing database's months, archived ones included (their daily rows stay), written in
-- key order: a regency's year is then ~1,000 neighbouring rows, not ~10,000 scattered pages
INSERT INTO monthly_element_totals
    (unit_id, month, template_version_id, service_id, element_code, score_sum, answer_count)
SELECT unit_id, substr(survey_date, 1, 7), template_version_id, service_id, element_code,
       SUM(score_sum), SUM(answer_count)
FROM daily_element_totals
GROUP BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id, element_code
ORDER BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id, element_code;

INSERT INTO monthly_response_totals
    (unit_id, month, template_version_id, service_id, responses, mean_sum, mean_square_sum)
SELECT unit_id, substr(survey_date, 1, 7), template_version_id, service_id,
       SUM(responses), SUM(mean_sum), SUM(mean_square_sum)
FROM daily_response_totals
GROUP BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id
ORDER BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id;
