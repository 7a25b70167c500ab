-- How a workspace appears to its end users on the connect and callback pages.
-- Every column but the key is optional: an empty one falls back to the
-- workspace's name and pinbridge's own look. The logo is never the uploaded
-- file: it is decoded and re-encoded as PNG by pinbridge (`domain::branding`),
-- and served by its SHA-256 (`/brand/logo/{sha256}.png`).
create table workspace_branding (
    workspace_id  text    primary key not null references workspaces (id) on delete cascade,
    display_name  text,
    accent_color  text,
    support_url   text,
    privacy_url   text,
    logo_png      blob,
    logo_sha256   text,
    logo_width    integer,
    logo_height   integer,
    updated_by    text    not null,
    updated_at    integer  not null
);
create index workspace_branding_logo on workspace_branding (logo_sha256);
