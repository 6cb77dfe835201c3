-- A regency (or any subtree) of a province- or nation-wide deployment sends its e-mail under its
-- own name and address ("SKM Kabupaten Kutai Timur <skm@kutaitimurkab.go.id>"); NULL: the
-- deployment's `mail_from`. Set on a unit and everything below it, like `time_zone`.
ALTER TABLE units ADD COLUMN mail_from TEXT;
