-- 0041 user language (issue 22, R4): the language a person reads the console in.
--
-- Why: the console is translated (en, pt_BR) and a team often mixes both, so the choice is the
-- person's, kept on the server so it follows them to any terminal. NULL means "not chosen":
-- the console then takes --lang/PYTAKE_LANG, the tenant profile's language, the system locale.
-- The CHECK lists the catalogs that exist (pytake_i18n.LANGUAGES); a new language adds one.
ALTER TABLE users ADD COLUMN language text NULL CHECK (language IN ('en', 'pt_BR'));
