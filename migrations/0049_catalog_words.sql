-- The catalog's words, folded (lower case, no accents), for correcting a typed word to the
-- nearest one the catalog really has ("offce" → "office"). Rebuilt whole by a statement
-- trigger whenever products change: the catalog is small and changes seldom (staff edits and
-- imports), while every search reads the words.
CREATE TABLE catalog_words (word text PRIMARY KEY);
CREATE INDEX catalog_words_trigrams ON catalog_words USING gin (word gin_trgm_ops);

CREATE FUNCTION catalog_words_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM catalog_words;
    INSERT INTO catalog_words (word)
        SELECT DISTINCT w FROM products p, regexp_split_to_table(p.search_text, '[^[:alnum:]]+') w
        WHERE char_length(w) >= 3;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_words AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_words_rebuild();

INSERT INTO catalog_words (word)
    SELECT DISTINCT w FROM products p, regexp_split_to_table(p.search_text, '[^[:alnum:]]+') w
    WHERE char_length(w) >= 3;

-- A SKU typed in any case finds its product.
CREATE INDEX products_sku_lower ON products (lower(sku));

-- The portal reads the words; only the trigger (as the catalog's owner) writes them.
REVOKE INSERT, UPDATE, DELETE ON catalog_words FROM portal_app;
GRANT SELECT ON catalog_words TO portal_app;
