-- Checkout reserves the first available item of a product:
-- `WHERE product_id = $1 AND status = 'available' ORDER BY id LIMIT 1 FOR
-- UPDATE SKIP LOCKED`. The index on (product_id) alone could not give the
-- rows in id order, so the planner walked the primary key from the lowest
-- id and skipped every item sold before: each checkout read all earlier
-- sales (3.8 ms after 5,000 orders, 36 ms after 15,000). With the id in
-- the key the first available item is the first index entry.
DROP INDEX digital_stock_item_available;
CREATE INDEX digital_stock_item_available ON digital_stock_item (product_id, id) WHERE status = 'available';
