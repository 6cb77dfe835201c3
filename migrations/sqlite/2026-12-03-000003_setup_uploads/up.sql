-- A setup workbook uploaded on /admin, kept between its preview and "Terapkan perubahan" so
-- exactly the previewed file is applied; removed once applied and after a day.
CREATE TABLE setup_uploads (
    digest TEXT PRIMARY KEY NOT NULL,
    content TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
