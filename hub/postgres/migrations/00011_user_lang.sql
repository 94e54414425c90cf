-- +goose Up
-- The language the dashboard speaks to an account (hub.User.Lang): 'ru',
-- 'en', or '' to go by the browser's.
ALTER TABLE users ADD COLUMN lang text NOT NULL DEFAULT ''
    CHECK (lang IN ('', 'ru', 'en'));

-- +goose Down
ALTER TABLE users DROP COLUMN lang;
