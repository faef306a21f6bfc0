-- Money rounding (decision 0019): a unit price is the cost times the markup, kept exact, and
-- only a line's amount is rounded to the cent. A cost has 4 decimals and a markup factor
-- (1 + percent / 100) 4, so a price has at most 8: the columns that keep prices take them all
-- (before, 0.0125 at 20 % was kept as 0.02 and 100 000 units charged 2 000.00 for 1 500.00).
ALTER TABLE order_lines ALTER COLUMN unit_price TYPE numeric(20, 8);
ALTER TABLE subscriptions ALTER COLUMN unit_price TYPE numeric(20, 8);
ALTER TABLE subscription_changes ALTER COLUMN unit_price_after TYPE numeric(20, 8);
