-- Searches take `%` and `_` literally: a customer search for "50%" finds "50%", not every name
-- starting with 50. The patterns built in Rust escape them (`text::like_escape`); this one is
-- built inside the function, so it escapes them here, with the same backslash.
CREATE FUNCTION portal_like_escape(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') $$;

CREATE OR REPLACE FUNCTION portal_customer_matches(q text) RETURNS TABLE (id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public
    AS $$
    DECLARE
        folded text := portal_fold(q);
        pattern text := '%' || portal_like_escape(portal_fold(q)) || '%';
        reseller uuid := portal_current_reseller();
    BEGIN
        IF reseller IS NULL OR folded = '' THEN
            RETURN;
        END IF;
        IF folded ~ '[0-9@.]' THEN
            RETURN QUERY SELECT c.id FROM customers c
                WHERE c.reseller_id = reseller AND c.search_text LIKE pattern;
        ELSE
            RETURN QUERY SELECT c.id FROM customers c
                WHERE c.reseller_id = reseller
                  AND (c.search_text LIKE pattern OR folded <% c.search_text);
        END IF;
        RETURN QUERY SELECT t.customer_id FROM customer_tenants t
            WHERE t.reseller_id = reseller
              AND t.domain LIKE '%' || portal_like_escape(lower(q)) || '%';
    END
    $$;
