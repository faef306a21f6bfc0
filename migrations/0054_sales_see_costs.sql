-- Whether the reseller's sales users see costs and margins (the owner's choice, on the pricing
-- page). Owners, admins and billing users always do; sales users see their prices only, unless
-- the owner lets them.
ALTER TABLE resellers ADD COLUMN sales_see_costs boolean NOT NULL DEFAULT false;
