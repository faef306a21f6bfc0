-- Customer search by words. A query of several words ("farmacia norte") finds the customers
-- whose name, tax id or e-mails hold every word, in any order, through the trigram index: the
-- index intersects the words' trigrams, so a common word ("farmacia", thousands of customers of
-- a large reseller) no longer brings its thousands of rows to be rechecked by similarity. Only
-- when no customer holds every word is the typo-tolerant similarity tried (a misspelt name);
-- e-mails, domains and numbers are still matched as written only. Tenant domains as before.
CREATE OR REPLACE FUNCTION portal_customer_matches(q text) RETURNS TABLE (id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public
    ROWS 100
    AS $$
    DECLARE
        folded text := btrim(portal_fold(q));
        reseller uuid := portal_current_reseller();
        every_word text;
    BEGIN
        IF reseller IS NULL OR folded = '' THEN
            RETURN;
        END IF;
        -- One LIKE per word, each pattern quoted as a literal (%L) with its wildcards escaped.
        SELECT string_agg(format('c.search_text LIKE %L', '%' || portal_like_escape(w) || '%'),
                          ' AND ')
            INTO every_word
            FROM regexp_split_to_table(folded, '\s+') AS w;
        RETURN QUERY EXECUTE
            'SELECT c.id FROM customers c WHERE c.reseller_id = $1 AND ' || every_word
            USING reseller;
        IF NOT FOUND AND folded !~ '[0-9@.]' THEN
            RETURN QUERY SELECT c.id FROM customers c
                WHERE c.reseller_id = reseller AND folded <% c.search_text;
        END IF;
        RETURN QUERY SELECT t.customer_id FROM customer_tenants t
            WHERE t.reseller_id = reseller
              AND t.domain LIKE '%' || portal_like_escape(lower(btrim(q))) || '%';
    END
    $$;
