-- The storefront's content: banners, testimonials, static pages and
-- announcements. Indonesian text is required, English optional (`*_en`
-- null: readers asking for English get the Indonesian). The application
-- checks every rule below first; these constraints are the last line.

CREATE TABLE storefront_banner (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title_id    TEXT NOT NULL CHECK (length(title_id) BETWEEN 1 AND 200),
    title_en    TEXT CHECK (length(title_en) BETWEEN 1 AND 200),
    -- https:// or site-relative (`/…`); never javascript: or data:.
    image_url   TEXT NOT NULL CHECK (length(image_url) BETWEEN 2 AND 2000
                                     AND (image_url LIKE 'https://%' OR (image_url LIKE '/%' AND image_url NOT LIKE '//%'))),
    link_url    TEXT CHECK (length(link_url) BETWEEN 1 AND 2000
                            AND (link_url LIKE 'https://%' OR (link_url LIKE '/%' AND link_url NOT LIKE '//%'))),
    -- Shown from `starts_at` (inclusive) until `ends_at` (exclusive); null: open.
    starts_at   TIMESTAMPTZ,
    ends_at     TIMESTAMPTZ,
    sort_order  INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 9999),
    is_active   BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX storefront_banner_shown_idx ON storefront_banner (sort_order, id) WHERE is_active;
CREATE TRIGGER storefront_banner_set_updated_at BEFORE UPDATE ON storefront_banner
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE storefront_testimonial (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_name     TEXT NOT NULL CHECK (length(author_name) BETWEEN 1 AND 100),
    author_role_id  TEXT CHECK (length(author_role_id) BETWEEN 1 AND 100),
    author_role_en  TEXT CHECK (length(author_role_en) BETWEEN 1 AND 100),
    quote_id        TEXT NOT NULL CHECK (length(quote_id) BETWEEN 1 AND 2000),
    quote_en        TEXT CHECK (length(quote_en) BETWEEN 1 AND 2000),
    rating          SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    sort_order      INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 9999),
    is_published    BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A role in English only makes sense beside an English quote.
    CHECK (author_role_en IS NULL OR quote_en IS NOT NULL)
);
CREATE INDEX storefront_testimonial_shown_idx ON storefront_testimonial (sort_order, id) WHERE is_published;
CREATE TRIGGER storefront_testimonial_set_updated_at BEFORE UPDATE ON storefront_testimonial
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Markdown is what staff write; `html_*` is that markdown rendered and
-- sanitised when it was saved, by renderer version `rendered_with` (a
-- reader re-renders a row an older renderer wrote, so a tightened
-- sanitiser applies at once, without a rewrite of every row).
CREATE TABLE storefront_page (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            TEXT NOT NULL CHECK (slug ~ '^[a-z0-9-]{1,80}$'),
    title_id        TEXT NOT NULL CHECK (length(title_id) BETWEEN 1 AND 200),
    title_en        TEXT CHECK (length(title_en) BETWEEN 1 AND 200),
    body_id         TEXT NOT NULL CHECK (length(body_id) BETWEEN 1 AND 100000),
    body_en         TEXT CHECK (length(body_en) BETWEEN 1 AND 100000),
    html_id         TEXT NOT NULL,
    html_en         TEXT,
    rendered_with   SMALLINT NOT NULL,
    is_published    BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT storefront_page_slug_key UNIQUE (slug),
    -- English is all or nothing: a title without a body would show an
    -- English heading over Indonesian text.
    CHECK ((title_en IS NULL) = (body_en IS NULL)),
    CHECK ((body_en IS NULL) = (html_en IS NULL))
);
CREATE TRIGGER storefront_page_set_updated_at BEFORE UPDATE ON storefront_page
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE storefront_announcement (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title_id        TEXT NOT NULL CHECK (length(title_id) BETWEEN 1 AND 200),
    title_en        TEXT CHECK (length(title_en) BETWEEN 1 AND 200),
    body_id         TEXT NOT NULL CHECK (length(body_id) BETWEEN 1 AND 100000),
    body_en         TEXT CHECK (length(body_en) BETWEEN 1 AND 100000),
    html_id         TEXT NOT NULL,
    html_en         TEXT,
    rendered_with   SMALLINT NOT NULL,
    -- Shown from this instant on; null: a draft, never shown.
    published_at    TIMESTAMPTZ,
    is_pinned       BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((title_en IS NULL) = (body_en IS NULL)),
    CHECK ((body_en IS NULL) = (html_en IS NULL))
);
CREATE INDEX storefront_announcement_shown_idx
    ON storefront_announcement (is_pinned DESC, published_at DESC, id DESC) WHERE published_at IS NOT NULL;
CREATE TRIGGER storefront_announcement_set_updated_at BEFORE UPDATE ON storefront_announcement
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
