-- A Brazilian customer's state registration (Inscrição Estadual), optional: the digits the state
-- gave it (8 to 14, by state), or ISENTO for a company exempt from it. Other countries have none.
ALTER TABLE customers ADD COLUMN state_registration text
    CHECK (state_registration ~ '^([0-9]{8,14}|ISENTO)$');
