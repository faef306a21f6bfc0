-- Customer search under row-level security. RLS keeps non-leakproof operators (LIKE, trigram
-- similarity) from being used as index conditions, so a search inside a tenant transaction would
-- read every row of the reseller. This function runs the indexed search as the tables' owner,
-- limited explicitly to the reseller of the current tenant transaction; the caller's query still
-- reads the customers themselves under RLS.
--
-- The trigram index also holds the reseller (btree_gin), so one reseller's matches are found
-- without visiting other resellers' rows. Queries that look like an e-mail, a domain or a
-- number are matched as substrings only: typo tolerance helps with names, and similarity on
-- such queries would match most rows.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX customers_search_by_reseller ON customers USING gin (reseller_id, search_text gin_trgm_ops);
DROP INDEX customers_search;

CREATE FUNCTION portal_customer_matches(q text) RETURNS TABLE (id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public
    AS $$
    DECLARE
        folded text := portal_fold(q);
        reseller uuid := portal_current_reseller();
    BEGIN
        IF reseller IS NULL OR folded = '' THEN
            RETURN;
        END IF;
        IF folded ~ '[0-9@.]' THEN
            RETURN QUERY SELECT c.id FROM customers c
                WHERE c.reseller_id = reseller AND c.search_text LIKE '%' || folded || '%';
        ELSE
            RETURN QUERY SELECT c.id FROM customers c
                WHERE c.reseller_id = reseller
                  AND (c.search_text LIKE '%' || folded || '%' OR folded <% c.search_text);
        END IF;
        RETURN QUERY SELECT t.customer_id FROM customer_tenants t
            WHERE t.reseller_id = reseller AND t.domain LIKE '%' || lower(q) || '%';
    END
    $$;
REVOKE ALL ON FUNCTION portal_customer_matches(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal_customer_matches(text) TO portal_app;
