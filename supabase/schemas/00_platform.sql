-- Platform: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- SCHEMA private
CREATE SCHEMA private;

-- COMMENT SCHEMA private
COMMENT ON SCHEMA private IS 'Helpers for policies and operators; not exposed through the API.';

-- ACL SCHEMA private
GRANT USAGE ON SCHEMA private TO authenticated;
GRANT USAGE ON SCHEMA private TO service_role;

-- FUNCTION check_role_exists()
CREATE FUNCTION private.check_role_exists() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not private.role_exists(new.organization_id, new.role) then
    raise exception using errcode = '23514', message = 'invalid_role',
      detail = format('%L is neither a system role nor one of the organization''s', new.role);
  end if;
  return new;
end
$$;

-- ACL FUNCTION check_role_exists()
REVOKE ALL ON FUNCTION private.check_role_exists() FROM PUBLIC;

-- FUNCTION is_platform_admin()
CREATE FUNCTION private.is_platform_admin() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return exists (
      select 1 from public.platform_roles
      where user_id = (select auth.uid()) and role = 'platform_admin')
    and coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2';
end
$$;

-- COMMENT FUNCTION is_platform_admin()
COMMENT ON FUNCTION private.is_platform_admin() IS 'Whether the caller acts as a platform admin: they hold the role and their session has verified a second factor (aal2). Below aal2 a platform admin is an ordinary user.';

-- ACL FUNCTION is_platform_admin()
REVOKE ALL ON FUNCTION private.is_platform_admin() FROM PUBLIC;
GRANT ALL ON FUNCTION private.is_platform_admin() TO authenticated;
GRANT ALL ON FUNCTION private.is_platform_admin() TO service_role;

-- FUNCTION is_tenant_admin(uuid)
CREATE FUNCTION private.is_tenant_admin(p_tenant_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select public.authorize(p_tenant_id, 'tenant_users:manage')
$$;

-- ACL FUNCTION is_tenant_admin(p_tenant_id uuid)
REVOKE ALL ON FUNCTION private.is_tenant_admin(p_tenant_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION private.is_tenant_admin(p_tenant_id uuid) TO authenticated;
GRANT ALL ON FUNCTION private.is_tenant_admin(p_tenant_id uuid) TO service_role;

-- FUNCTION member_organization_ids()
CREATE FUNCTION private.member_organization_ids() RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return query
    select m.organization_id from public.organization_members m
    where m.user_id = (select auth.uid()) and private.session_meets_mfa(m.organization_id)
      and private.organization_usable(m.organization_id);
end
$$;

-- COMMENT FUNCTION member_organization_ids()
COMMENT ON FUNCTION private.member_organization_ids() IS 'The organizations whose rows the caller reads: those they are a member of, with a session that meets each one''s MFA policy.';

-- ACL FUNCTION member_organization_ids()
REVOKE ALL ON FUNCTION private.member_organization_ids() FROM PUBLIC;
GRANT ALL ON FUNCTION private.member_organization_ids() TO authenticated;

-- FUNCTION permitted_organization_ids(text)
CREATE FUNCTION private.permitted_organization_ids(p_permission text) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return query
    select m.organization_id from public.organization_members m
    where m.user_id = (select auth.uid())
      and public.authorize(m.organization_id, p_permission);
end
$$;

-- COMMENT FUNCTION permitted_organization_ids(p_permission text)
COMMENT ON FUNCTION private.permitted_organization_ids(p_permission text) IS 'The same check as a set, for policies (evaluated once per query, not once per row): the organizations where the caller holds the permission and meets the MFA policy.';

-- ACL FUNCTION permitted_organization_ids(p_permission text)
REVOKE ALL ON FUNCTION private.permitted_organization_ids(p_permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION private.permitted_organization_ids(p_permission text) TO authenticated;

-- FUNCTION permitted_organizations(text)
CREATE FUNCTION private.permitted_organizations(p_permission text) RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.is_platform_admin() then
    return array(select id from public.organizations where status <> 'deletion_scheduled');
  end if;
  return array(select private.permitted_organization_ids(p_permission));
end
$$;

-- COMMENT FUNCTION permitted_organizations(p_permission text)
COMMENT ON FUNCTION private.permitted_organizations(p_permission text) IS 'The organizations where public.authorize(organization, p_permission) holds for the caller, as an array for a policy to compare with once per statement.';

-- ACL FUNCTION permitted_organizations(p_permission text)
REVOKE ALL ON FUNCTION private.permitted_organizations(p_permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION private.permitted_organizations(p_permission text) TO authenticated;

-- FUNCTION readable_organizations(text)
CREATE FUNCTION private.readable_organizations(p_permission text DEFAULT NULL::text) RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.is_platform_admin() then
    return array(select id from public.organizations);
  elsif p_permission is null then
    return array(select private.member_organization_ids());
  end if;
  return array(select private.permitted_organization_ids(p_permission));
end
$$;

-- COMMENT FUNCTION readable_organizations(p_permission text)
COMMENT ON FUNCTION private.readable_organizations(p_permission text) IS 'The organizations whose rows the caller reads, for a policy to compare with once per statement: where they are a member (with a session meeting its MFA policy; holding `p_permission` when given), or every organization for a platform admin.';

-- ACL FUNCTION readable_organizations(p_permission text)
REVOKE ALL ON FUNCTION private.readable_organizations(p_permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION private.readable_organizations(p_permission text) TO authenticated;

-- FUNCTION role_rank(text)
CREATE FUNCTION private.role_rank(p_role text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
  select case p_role when 'owner' then 4 when 'admin' then 3 when 'recruiter' then 2 when 'viewer' then 1 end
$$;

-- ACL FUNCTION role_rank(p_role text)
REVOKE ALL ON FUNCTION private.role_rank(p_role text) FROM PUBLIC;

-- FUNCTION setting(text, text)
CREATE FUNCTION private.setting(p_key text, p_default text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select coalesce((select value from private.settings where key = p_key), p_default)
$$;

-- ACL FUNCTION setting(p_key text, p_default text)
REVOKE ALL ON FUNCTION private.setting(p_key text, p_default text) FROM PUBLIC;

-- FUNCTION touch_updated_at()
CREATE FUNCTION private.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- TABLE settings
CREATE TABLE private.settings (
    key text NOT NULL,
    value text NOT NULL
);

-- COMMENT TABLE settings
COMMENT ON TABLE private.settings IS 'Settings the database reads instead of constants (the webhook retry schedule, when a failing endpoint is disabled, whether private URLs are allowed, the deletion grace period, the DNS-over-HTTPS resolver), set by the stack, by provision or an operator. Readable by no API role.';

-- CONSTRAINT settings settings_pkey
ALTER TABLE ONLY private.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);
