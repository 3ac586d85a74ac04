-- A customer's last visit before the bot knew it (an import's last_visit column), and
-- the extra units a product is counted in (提=6瓶).
ALTER TABLE customers ADD COLUMN last_visit TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN units TEXT NOT NULL DEFAULT '';
