-- A program's description in each of the portal's languages, as products have them: staff
-- write them on the vendors page; a language left empty shows the Spanish one.
ALTER TABLE programs RENAME COLUMN description TO description_es;
ALTER TABLE programs
    ADD COLUMN description_en text NOT NULL DEFAULT '' CHECK (char_length(description_en) <= 2000),
    ADD COLUMN description_pt text NOT NULL DEFAULT '' CHECK (char_length(description_pt) <= 2000);

-- The demo programs' descriptions, where they still say what the demo gave them.
UPDATE programs SET
    description_en = 'Microsoft 365, Dynamics and more under New Commerce.',
    description_pt = 'Licenças do Microsoft 365, Dynamics e mais sob o New Commerce.'
WHERE code = 'microsoft-csp' AND description_es = 'Licencias de Microsoft 365, Dynamics y más bajo New Commerce.';
UPDATE programs SET
    description_en = 'Azure consumption billed monthly.',
    description_pt = 'Consumo do Azure faturado mensalmente.'
WHERE code = 'microsoft-azure' AND description_es = 'Consumo de Azure facturado mensualmente.';
UPDATE programs SET
    description_en = 'Google Workspace subscriptions.',
    description_pt = 'Assinaturas do Google Workspace.'
WHERE code = 'google-workspace' AND description_es = 'Suscripciones de Google Workspace.';
UPDATE programs SET
    description_en = 'Google Cloud consumption billed monthly.',
    description_pt = 'Consumo do Google Cloud faturado mensalmente.'
WHERE code = 'google-cloud' AND description_es = 'Consumo de Google Cloud facturado mensualmente.';
