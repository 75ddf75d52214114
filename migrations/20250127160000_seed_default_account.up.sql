-- The account that owns the built-in demo data.
INSERT INTO accounts (id, name, slug) VALUES (1, 'Demo', 'demo');
INSERT INTO projects (id, account_id, name) VALUES (1, 1, 'Getting started');
