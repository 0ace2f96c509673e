-- Every change to what the storefront shows — products, prices, lists,
-- tiers and their members, stock — says so on the `catalog_changed`
-- channel when its transaction commits. Each replica's storefront cache
-- listens and forgets what it held; a change made by any means (a staff
-- edit, an order reserving stock, a hand-written UPDATE) is covered.
CREATE FUNCTION notify_catalog_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- One notice per transaction: PostgreSQL folds equal notices together.
    PERFORM pg_notify('catalog_changed', '');
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY[
        'product', 'product_price', 'product_region', 'product_os_template',
        'product_category', 'region', 'os_template', 'customer_group',
        'customer_group_member', 'digital_stock_item'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
             FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed()',
            watched || '_notify_catalog_changed', watched);
    END LOOP;
END;
$$;
