-- A product's late fee is an amount in one currency: only a renewal
-- invoice in that currency gets it (a product priced in IDR and USD would
-- otherwise add "25000" as rupiah to one and as dollars to the other).
ALTER TABLE product_lifecycle
    ADD COLUMN late_fee_currency TEXT NOT NULL DEFAULT 'IDR' CHECK (late_fee_currency IN ('IDR', 'USD'));
