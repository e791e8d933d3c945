-- Numbered with SQLite's 0011, so that both indexes stay at one schema
-- version (playhead migrate-storage copies only between equal versions).
-- PostgreSQL needs no change for it: its trigram index holds every search
-- row, the new input field's included, and pg_trgm takes no trigram from a
-- text shorter than three characters, so such a text is read session by
-- session and needs no index of its own.
SELECT 1;
