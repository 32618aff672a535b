-- Permissions: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION caller_permissions(uuid)
CREATE FUNCTION private.caller_permissions(p_organization_id uuid) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.is_platform_admin() then
    return (select array_agg(key order by key) from public.permissions);
  end if;
  return coalesce(private.role_permissions(p_organization_id,
           (select m.role from public.organization_members m
            where m.organization_id = p_organization_id and m.user_id = auth.uid())), '{}');
end
$$;

-- COMMENT FUNCTION caller_permissions(p_organization_id uuid)
COMMENT ON FUNCTION private.caller_permissions(p_organization_id uuid) IS 'The caller''s permissions in the organization (every one for a platform admin), from the tables alone.';

-- ACL FUNCTION caller_permissions(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.caller_permissions(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION checked_permissions(uuid, text[])
CREATE FUNCTION private.checked_permissions(p_organization_id uuid, p_permissions text[]) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_key text;
begin
  if p_permissions is null or cardinality(p_permissions) > 50 then
    raise exception using errcode = '22023', message = 'invalid_permissions', detail = 'permissions: a list of at most 50 keys';
  end if;
  select k into v_key from unnest(p_permissions) k where not exists (select 1 from public.permissions p where p.key = k) limit 1;
  if found then
    raise exception using errcode = '22023', message = 'unknown_permission',
      detail = format('%L is not a permission (see public.permissions)', left(v_key, 100));
  end if;
  select k into v_key from unnest(p_permissions) k join public.permissions p on p.key = k where p.owners_only limit 1;
  if found then
    raise exception using errcode = '42501', message = 'permission_too_high',
      detail = format('%s stays with owners: no custom role holds it', v_key);
  end if;
  select k into v_key from unnest(p_permissions) k where k <> all (private.caller_permissions(p_organization_id)) limit 1;
  if found then
    raise exception using errcode = '42501', message = 'permission_too_high',
      detail = format('you do not hold %s, so you cannot grant it', v_key);
  end if;
  return array(select distinct k from unnest(p_permissions) k order by k);
end
$$;

-- COMMENT FUNCTION checked_permissions(p_organization_id uuid, p_permissions text[])
COMMENT ON FUNCTION private.checked_permissions(p_organization_id uuid, p_permissions text[]) IS 'A role definition''s permissions, checked: known keys, none only owners hold, none the caller lacks. Returns them sorted and without repeats.';

-- ACL FUNCTION checked_permissions(p_organization_id uuid, p_permissions text[])
REVOKE ALL ON FUNCTION private.checked_permissions(p_organization_id uuid, p_permissions text[]) FROM PUBLIC;

-- TABLE organization_roles
CREATE TABLE public.organization_roles (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid,
    key text NOT NULL,
    name text NOT NULL,
    permissions text[] DEFAULT '{}'::text[] NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_roles_key_check CHECK ((key ~ '^[a-z][a-z0-9-]{0,39}$'::text)),
    CONSTRAINT organization_roles_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100)))
);

-- COMMENT TABLE organization_roles
COMMENT ON TABLE public.organization_roles IS 'Roles: the four system roles (no organization) and each organization''s custom roles.';

-- ACL TABLE organization_roles
GRANT SELECT ON TABLE public.organization_roles TO authenticated;
GRANT ALL ON TABLE public.organization_roles TO service_role;

-- FUNCTION managed_role(uuid)
CREATE FUNCTION private.managed_role(p_role_id uuid) RETURNS public.organization_roles
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role public.organization_roles;
begin
  select * into v_role from public.organization_roles where id = p_role_id;
  if not found or v_role.organization_id is null or private.caller_role(v_role.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'role_not_found', detail = 'no such custom role (system roles do not change)';
  end if;
  perform private.require_permission(v_role.organization_id, 'org:roles:manage', 'only those who manage roles change them');
  select * into v_role from public.organization_roles where id = p_role_id for update;
  if not private.may_change_role(v_role.organization_id, v_role.permissions) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'you may change only roles that hold less than yours';
  end if;
  return v_role;
end
$$;

-- COMMENT FUNCTION managed_role(p_role_id uuid)
COMMENT ON FUNCTION private.managed_role(p_role_id uuid) IS 'The custom role, locked, for those who manage the organization''s roles and may change this one (see may_change_role).';

-- ACL FUNCTION managed_role(p_role_id uuid)
REVOKE ALL ON FUNCTION private.managed_role(p_role_id uuid) FROM PUBLIC;

-- FUNCTION may_change_role(uuid, text[])
CREATE FUNCTION private.may_change_role(p_organization_id uuid, p_permissions text[]) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select private.caller_role(p_organization_id) = 'owner'
      or (p_permissions <@ private.caller_permissions(p_organization_id)
          and not private.caller_permissions(p_organization_id) <@ p_permissions)
$$;

-- COMMENT FUNCTION may_change_role(p_organization_id uuid, p_permissions text[])
COMMENT ON FUNCTION private.may_change_role(p_organization_id uuid, p_permissions text[]) IS 'Whether the caller may change or delete a custom role holding these permissions: owners any; others only a role holding strictly less than they do (as change_member_role moves members).';

-- ACL FUNCTION may_change_role(p_organization_id uuid, p_permissions text[])
REVOKE ALL ON FUNCTION private.may_change_role(p_organization_id uuid, p_permissions text[]) FROM PUBLIC;

-- FUNCTION may_grant(uuid, text)
CREATE FUNCTION private.may_grant(p_organization_id uuid, p_role text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select coalesce(private.role_permissions(p_organization_id, p_role) <@ private.caller_permissions(p_organization_id), false)
$$;

-- COMMENT FUNCTION may_grant(p_organization_id uuid, p_role text)
COMMENT ON FUNCTION private.may_grant(p_organization_id uuid, p_role text) IS 'Whether the caller may give `p_role`: it exists there, and holds no permission the caller lacks (so only owners make owners).';

-- ACL FUNCTION may_grant(p_organization_id uuid, p_role text)
REVOKE ALL ON FUNCTION private.may_grant(p_organization_id uuid, p_role text) FROM PUBLIC;

-- FUNCTION may_manage_role(uuid, text)
CREATE FUNCTION private.may_manage_role(p_organization_id uuid, p_role text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select coalesce(public.authorize(p_organization_id, 'org:members:manage')
     and (private.caller_role(p_organization_id) = 'owner'
          or (private.role_permissions(p_organization_id, p_role) <@ private.caller_permissions(p_organization_id)
              and not private.caller_permissions(p_organization_id) <@ private.role_permissions(p_organization_id, p_role))), false)
$$;

-- COMMENT FUNCTION may_manage_role(p_organization_id uuid, p_role text)
COMMENT ON FUNCTION private.may_manage_role(p_organization_id uuid, p_role text) IS 'Whether the caller may move a member from or to `p_role`: they manage members, and are an owner (or platform admin), or the role holds strictly less than they do (an admin changes recruiters and viewers, not admins).';

-- ACL FUNCTION may_manage_role(p_organization_id uuid, p_role text)
REVOKE ALL ON FUNCTION private.may_manage_role(p_organization_id uuid, p_role text) FROM PUBLIC;

-- FUNCTION refuse_platform_admin_below_aal2()
CREATE FUNCTION private.refuse_platform_admin_below_aal2() RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not private.is_platform_admin()
     and exists (select 1 from public.platform_roles where user_id = auth.uid() and role = 'platform_admin') then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'platform admins act on tenants only after verifying a second factor (aal2)';
  end if;
end
$$;

-- COMMENT FUNCTION refuse_platform_admin_below_aal2()
COMMENT ON FUNCTION private.refuse_platform_admin_below_aal2() IS 'Raises `mfa_required` for a platform admin whose session is below aal2.';

-- ACL FUNCTION refuse_platform_admin_below_aal2()
REVOKE ALL ON FUNCTION private.refuse_platform_admin_below_aal2() FROM PUBLIC;

-- FUNCTION require_mfa_met(uuid)
CREATE FUNCTION private.require_mfa_met(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not private.session_meets_mfa(p_organization_id) then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'this organization requires two-factor authentication: verify a second factor (aal2) first';
  end if;
end
$$;

-- COMMENT FUNCTION require_mfa_met(p_organization_id uuid)
COMMENT ON FUNCTION private.require_mfa_met(p_organization_id uuid) IS 'Raises `mfa_required` when this session does not meet the organization''s MFA policy.';

-- ACL FUNCTION require_mfa_met(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.require_mfa_met(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION require_permission(uuid, text, text)
CREATE FUNCTION private.require_permission(p_organization_id uuid, p_permission text, p_detail text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role text := private.lock_organization_as_member(p_organization_id);
begin
  if not public.authorize(p_organization_id, p_permission) then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = p_detail;
  end if;
  return v_role;
end
$$;

-- COMMENT FUNCTION require_permission(p_organization_id uuid, p_permission text, p_detail text)
COMMENT ON FUNCTION private.require_permission(p_organization_id uuid, p_permission text, p_detail text) IS 'The organization locked for the caller, a member whose session meets its MFA policy, who holds `p_permission`; else `not_org_admin`.';

-- ACL FUNCTION require_permission(p_organization_id uuid, p_permission text, p_detail text)
REVOKE ALL ON FUNCTION private.require_permission(p_organization_id uuid, p_permission text, p_detail text) FROM PUBLIC;

-- FUNCTION require_usable_organization(uuid)
CREATE FUNCTION private.require_usable_organization(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not private.organization_usable(p_organization_id) then
    raise exception using errcode = 'PT410', message = 'organization_deletion_scheduled',
      detail = 'this organization is scheduled for deletion; an owner can cancel it until it is purged';
  end if;
end
$$;

-- COMMENT FUNCTION require_usable_organization(p_organization_id uuid)
COMMENT ON FUNCTION private.require_usable_organization(p_organization_id uuid) IS 'Raises `organization_deletion_scheduled` (410) for an organization scheduled for deletion.';

-- ACL FUNCTION require_usable_organization(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.require_usable_organization(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION role_exists(uuid, text)
CREATE FUNCTION private.role_exists(p_organization_id uuid, p_role text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return private.role_permissions(p_organization_id, p_role) is not null;
end
$$;

-- ACL FUNCTION role_exists(p_organization_id uuid, p_role text)
REVOKE ALL ON FUNCTION private.role_exists(p_organization_id uuid, p_role text) FROM PUBLIC;

-- FUNCTION role_name(text)
CREATE FUNCTION private.role_name(p_name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  if p_name is null or char_length(btrim(p_name)) not between 1 and 100 or p_name ~ '[[:cntrl:]]' then
    raise exception using errcode = '22023', message = 'invalid_name', detail = 'name: 1-100 characters';
  end if;
  return btrim(p_name);
end
$$;

-- ACL FUNCTION role_name(p_name text)
REVOKE ALL ON FUNCTION private.role_name(p_name text) FROM PUBLIC;

-- FUNCTION role_permissions(uuid, text)
CREATE FUNCTION private.role_permissions(p_organization_id uuid, p_role text) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return (select r.permissions from public.organization_roles r
          where r.key = p_role and (r.organization_id is null or r.organization_id = p_organization_id)
          order by r.organization_id nulls first limit 1);
end
$$;

-- COMMENT FUNCTION role_permissions(p_organization_id uuid, p_role text)
COMMENT ON FUNCTION private.role_permissions(p_organization_id uuid, p_role text) IS 'A role''s permissions in an organization: the system role''s, else the organization''s own.';

-- ACL FUNCTION role_permissions(p_organization_id uuid, p_role text)
REVOKE ALL ON FUNCTION private.role_permissions(p_organization_id uuid, p_role text) FROM PUBLIC;

-- FUNCTION role_view(public.organization_roles)
CREATE FUNCTION private.role_view(p_role public.organization_roles) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('id', p_role.id, 'organization_id', p_role.organization_id, 'key', p_role.key,
    'name', p_role.name, 'permissions', to_jsonb(p_role.permissions), 'system', p_role.organization_id is null)
$$;

-- ACL FUNCTION role_view(p_role public.organization_roles)
REVOKE ALL ON FUNCTION private.role_view(p_role public.organization_roles) FROM PUBLIC;

-- FUNCTION session_meets_mfa(uuid)
CREATE FUNCTION private.session_meets_mfa(p_organization_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return coalesce((select not o.mfa_required or coalesce(auth.jwt() ->> 'aal', 'aal1') = 'aal2'
                   from public.organizations o where o.id = p_organization_id), true);
end
$$;

-- COMMENT FUNCTION session_meets_mfa(p_organization_id uuid)
COMMENT ON FUNCTION private.session_meets_mfa(p_organization_id uuid) IS 'Whether this session meets the organization''s MFA policy: an `aal2` session while it requires MFA (an organization that does not exist has no policy).';

-- ACL FUNCTION session_meets_mfa(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.session_meets_mfa(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION authorize(uuid, text)
CREATE FUNCTION public.authorize(p_organization_id uuid, p_permission text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return p_permission = any (private.caller_permissions(p_organization_id))
     and private.session_meets_mfa(p_organization_id)
     and private.organization_usable(p_organization_id);
end
$$;

-- COMMENT FUNCTION authorize(p_organization_id uuid, p_permission text)
COMMENT ON FUNCTION public.authorize(p_organization_id uuid, p_permission text) IS 'The one access check: whether the caller holds `p_permission` in the organization, read from the membership and role tables (never the JWT''s claims), with a session that meets its MFA policy, in an organization not scheduled for deletion.';

-- ACL FUNCTION authorize(p_organization_id uuid, p_permission text)
REVOKE ALL ON FUNCTION public.authorize(p_organization_id uuid, p_permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.authorize(p_organization_id uuid, p_permission text) TO authenticated;
GRANT ALL ON FUNCTION public.authorize(p_organization_id uuid, p_permission text) TO service_role;

-- FUNCTION confirm_service_role()
CREATE FUNCTION public.confirm_service_role() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$ select true $$;

-- COMMENT FUNCTION confirm_service_role()
COMMENT ON FUNCTION public.confirm_service_role() IS 'True for the service role; PostgREST refuses anyone else. A function checks a presented service-role JWT with it before answering without any other database call.';

-- ACL FUNCTION confirm_service_role()
REVOKE ALL ON FUNCTION public.confirm_service_role() FROM PUBLIC;
GRANT ALL ON FUNCTION public.confirm_service_role() TO service_role;

-- FUNCTION create_role(uuid, text, text, text[])
CREATE FUNCTION public.create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[]) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_role public.organization_roles;
begin
  perform private.require_permission(p_organization_id, 'org:roles:manage', 'only those who manage roles create them');
  if not ('custom-roles' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include custom-roles';
  end if;
  if p_key is null or p_key !~ '^[a-z][a-z0-9-]{0,39}$' then
    raise exception using errcode = '22023', message = 'invalid_role_key',
      detail = 'key: 1-40 characters of a-z, 0-9 and -, starting with a letter';
  end if;
  if private.role_exists(p_organization_id, p_key) then
    raise exception using errcode = '23505', message = 'role_key_taken', detail = format('a role %L exists', p_key);
  end if;
  if (select count(*) from public.organization_roles where organization_id = p_organization_id) >= 50 then
    raise exception using errcode = 'PT403', message = 'role_limit_reached', detail = 'an organization has at most 50 custom roles';
  end if;
  insert into public.organization_roles (organization_id, key, name, permissions, created_by)
  values (p_organization_id, p_key, private.role_name(p_name), private.checked_permissions(p_organization_id, p_permissions), auth.uid())
  returning * into v_role;
  perform private.audit(p_organization_id, 'role.created', null, null, null, private.role_view(v_role));
  return private.role_view(v_role);
end
$_$;

-- COMMENT FUNCTION create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[])
COMMENT ON FUNCTION public.create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[]) IS 'A custom role of the organization: a slug key no system role has, a name, permissions.';

-- ACL FUNCTION create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[])
REVOKE ALL ON FUNCTION public.create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[]) TO authenticated;

-- FUNCTION delete_role(uuid)
CREATE FUNCTION public.delete_role(p_role_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role public.organization_roles := private.managed_role(p_role_id);
begin
  if exists (select 1 from public.organization_members where organization_id = v_role.organization_id and role = v_role.key)
     or exists (select 1 from public.onboarding_invites
                where organization_id = v_role.organization_id and role = v_role.key and status = 'pending')
     or exists (select 1 from public.invite_links
                where organization_id = v_role.organization_id and role = v_role.key
                  and revoked_at is null and expires_at > now() and (max_uses is null or uses < max_uses)) then
    raise exception using errcode = 'PT409', message = 'role_in_use',
      detail = 'members, pending invitations or active invite links hold this role: give them another first';
  end if;
  delete from public.organization_roles where id = p_role_id;
  perform private.audit(v_role.organization_id, 'role.deleted', null, null, private.role_view(v_role), null);
  return jsonb_build_object('id', p_role_id, 'key', v_role.key, 'deleted', true);
end
$$;

-- COMMENT FUNCTION delete_role(p_role_id uuid)
COMMENT ON FUNCTION public.delete_role(p_role_id uuid) IS 'Deletes the role; refused while a member, a pending invitation or an active invite link holds it, and, for a non-owner, when it holds as much as they do.';

-- ACL FUNCTION delete_role(p_role_id uuid)
REVOKE ALL ON FUNCTION public.delete_role(p_role_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.delete_role(p_role_id uuid) TO authenticated;

-- FUNCTION my_organizations()
CREATE FUNCTION public.my_organizations() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
        'organization_id', o.id, 'name', o.name, 'slug', o.slug, 'status', o.status, 'role', m.role,
        'permissions', to_jsonb(coalesce(private.role_permissions(o.id, m.role), '{}')),
        'mfa_required', o.mfa_required, 'mfa_satisfied', private.session_meets_mfa(o.id),
        'purge_after', o.purge_after) order by m.created_at), '[]'::jsonb)
    from public.organization_members m join public.organizations o on o.id = m.organization_id
    where m.user_id = auth.uid());
end
$$;

-- COMMENT FUNCTION my_organizations()
COMMENT ON FUNCTION public.my_organizations() IS 'The caller''s organizations: role, permissions, whether MFA is required and met, status; owners also see a scheduled deletion (and may cancel it).';

-- ACL FUNCTION my_organizations()
REVOKE ALL ON FUNCTION public.my_organizations() FROM PUBLIC;
GRANT ALL ON FUNCTION public.my_organizations() TO authenticated;

-- FUNCTION set_organization_mfa_policy(uuid, boolean)
CREATE FUNCTION public.set_organization_mfa_policy(p_organization_id uuid, p_required boolean) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_before boolean;
begin
  perform private.require_permission(p_organization_id, 'org:settings:manage', 'only those who manage settings set the MFA policy');
  if p_required is null then
    raise exception using errcode = '22023', message = 'invalid_arguments', detail = 'p_required: true or false';
  end if;
  if p_required and coalesce(auth.jwt() ->> 'aal', 'aal1') <> 'aal2' then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'verify a second factor yourself (aal2) before requiring one of everybody';
  end if;
  select mfa_required into v_before from public.organizations where id = p_organization_id;
  update public.organizations set mfa_required = p_required where id = p_organization_id;
  if v_before is distinct from p_required then
    perform private.audit(p_organization_id, 'organization.mfa_policy_changed', null, null,
      jsonb_build_object('mfa_required', v_before), jsonb_build_object('mfa_required', p_required));
  end if;
  return jsonb_build_object('organization_id', p_organization_id, 'mfa_required', p_required);
end
$$;

-- COMMENT FUNCTION set_organization_mfa_policy(p_organization_id uuid, p_required boolean)
COMMENT ON FUNCTION public.set_organization_mfa_policy(p_organization_id uuid, p_required boolean) IS 'While required, every RPC for the organization answers `mfa_required` to a session below `aal2`, and its rows read as none. Switching it on takes an `aal2` session (no lock-out).';

-- ACL FUNCTION set_organization_mfa_policy(p_organization_id uuid, p_required boolean)
REVOKE ALL ON FUNCTION public.set_organization_mfa_policy(p_organization_id uuid, p_required boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_organization_mfa_policy(p_organization_id uuid, p_required boolean) TO authenticated;

-- FUNCTION update_role(uuid, text, text[])
CREATE FUNCTION public.update_role(p_role_id uuid, p_name text, p_permissions text[]) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role public.organization_roles := private.managed_role(p_role_id);
  v_before jsonb := private.role_view(v_role);
  v_permissions text[] := private.checked_permissions(v_role.organization_id, p_permissions);
begin
  if not private.may_change_role(v_role.organization_id, v_permissions) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'a role you change must hold less than yours';
  end if;
  update public.organization_roles
  set name = private.role_name(p_name), permissions = v_permissions
  where id = p_role_id returning * into v_role;
  perform private.audit(v_role.organization_id, 'role.updated', null, null, v_before, private.role_view(v_role));
  return private.role_view(v_role);
end
$$;

-- COMMENT FUNCTION update_role(p_role_id uuid, p_name text, p_permissions text[])
COMMENT ON FUNCTION public.update_role(p_role_id uuid, p_name text, p_permissions text[]) IS 'Renames the role and sets its permissions: its members have the new ones from their next request. A non-owner changes only roles holding less than they do, and keeps them so.';

-- ACL FUNCTION update_role(p_role_id uuid, p_name text, p_permissions text[])
REVOKE ALL ON FUNCTION public.update_role(p_role_id uuid, p_name text, p_permissions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.update_role(p_role_id uuid, p_name text, p_permissions text[]) TO authenticated;

-- TABLE permissions
CREATE TABLE public.permissions (
    key text NOT NULL,
    description text NOT NULL,
    owners_only boolean DEFAULT false NOT NULL,
    CONSTRAINT permissions_description_check CHECK (((char_length(description) >= 1) AND (char_length(description) <= 300))),
    CONSTRAINT permissions_key_check CHECK ((key ~ '^[a-z_]+(:[a-z_]+)+$'::text))
);

-- COMMENT TABLE permissions
COMMENT ON TABLE public.permissions IS 'The fixed catalogue of permission keys a role is a set of (org:members:read, org:members:invite, …). Readable by every signed-in user.';

-- COMMENT COLUMN permissions.owners_only
COMMENT ON COLUMN public.permissions.owners_only IS 'Never in a custom role: deleting the organization and its ownership stay with owners.';

-- ACL TABLE permissions
GRANT SELECT ON TABLE public.permissions TO authenticated;
GRANT ALL ON TABLE public.permissions TO service_role;

-- CONSTRAINT organization_roles organization_roles_pkey
ALTER TABLE ONLY public.organization_roles
    ADD CONSTRAINT organization_roles_pkey PRIMARY KEY (id);

-- CONSTRAINT permissions permissions_pkey
ALTER TABLE ONLY public.permissions
    ADD CONSTRAINT permissions_pkey PRIMARY KEY (key);

-- INDEX onboarding_invites_organization_idx
CREATE INDEX onboarding_invites_organization_idx ON public.onboarding_invites USING btree (organization_id, created_at);

-- INDEX organization_join_requests_organization_idx
CREATE INDEX organization_join_requests_organization_idx ON public.organization_join_requests USING btree (organization_id, created_at);

-- INDEX organization_roles_organization_key
CREATE UNIQUE INDEX organization_roles_organization_key ON public.organization_roles USING btree (organization_id, key) WHERE (organization_id IS NOT NULL);

-- INDEX organization_roles_system_key
CREATE UNIQUE INDEX organization_roles_system_key ON public.organization_roles USING btree (key) WHERE (organization_id IS NULL);

-- INDEX user_onboarding_events_tenant_idx
CREATE INDEX user_onboarding_events_tenant_idx ON public.user_onboarding_events USING btree (tenant_id, id);

-- INDEX webhook_deliveries_endpoint_idx
CREATE INDEX webhook_deliveries_endpoint_idx ON public.webhook_deliveries USING btree (endpoint_id, id);

-- TRIGGER onboarding_invites check_role_exists
CREATE TRIGGER check_role_exists BEFORE INSERT OR UPDATE OF role ON public.onboarding_invites FOR EACH ROW EXECUTE FUNCTION private.check_role_exists();

-- TRIGGER organization_members check_role_exists
CREATE TRIGGER check_role_exists BEFORE INSERT OR UPDATE OF role ON public.organization_members FOR EACH ROW EXECUTE FUNCTION private.check_role_exists();

-- TRIGGER organization_roles touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.organization_roles FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT organization_roles organization_roles_created_by_fkey
ALTER TABLE ONLY public.organization_roles
    ADD CONSTRAINT organization_roles_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT organization_roles organization_roles_organization_id_fkey
ALTER TABLE ONLY public.organization_roles
    ADD CONSTRAINT organization_roles_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- ROW SECURITY organization_roles
ALTER TABLE public.organization_roles ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY permissions
ALTER TABLE public.permissions ENABLE ROW LEVEL SECURITY;

-- POLICY organization_roles read the system roles and one's organizations' roles
CREATE POLICY "read the system roles and one's organizations' roles" ON public.organization_roles FOR SELECT TO authenticated USING (((organization_id IS NULL) OR (organization_id = ANY (( SELECT private.readable_organizations() AS readable_organizations)::uuid[]))));

-- POLICY permissions signed-in users read the catalogue
CREATE POLICY "signed-in users read the catalogue" ON public.permissions FOR SELECT TO authenticated USING (true);
