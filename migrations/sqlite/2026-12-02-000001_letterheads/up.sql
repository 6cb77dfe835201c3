-- A unit's kop surat (letterhead) and the head who signs its reports. Empty text means not set:
-- the report falls back to the nearest ancestor's letterhead (the regency's logo and name), and
-- leaves the signer's lines blank to fill by hand. The logo is a PNG or JPEG (at most 512 KB),
-- kept as base64 text so `skm export-all` moves it as any other text.
CREATE TABLE unit_letterheads (
    unit_id INTEGER PRIMARY KEY NOT NULL REFERENCES units(id),
    agency TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    logo TEXT,
    place TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    head_name TEXT NOT NULL DEFAULT '',
    nip TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
