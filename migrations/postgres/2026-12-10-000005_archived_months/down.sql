DROP INDEX ticket_codes_response;
DROP INDEX invitations_response;
DROP TABLE archived_months;
