-- The access helpers planned once per session (issue 33, after the signup's trace): every
-- read a member makes goes through them — the read policies' arrays, `authorize` in every
-- RPC, `my_organizations` on every page — and as `language sql` with `set search_path`
-- (never inlined) each call was parsed and planned again, several times per statement
-- (`authorize` calls three of them; the policies' arrays call two per membership). PL/pgSQL
-- keeps their plans for the session. Same bodies, arguments, volatility, owners and grants.

create or replace function private.is_platform_admin()
returns boolean language plpgsql stable security definer set search_path = '' as $$
begin
  return exists (
      select 1 from public.platform_roles
      where user_id = (select auth.uid()) and role = 'platform_admin')
    and coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2';
end
$$;

create or replace function private.session_meets_mfa(p_organization_id uuid)
returns boolean language plpgsql stable security definer set search_path = '' as $$
begin
  return coalesce((select not o.mfa_required or coalesce(auth.jwt() ->> 'aal', 'aal1') = 'aal2'
                   from public.organizations o where o.id = p_organization_id), true);
end
$$;

create or replace function private.organization_usable(p_organization_id uuid)
returns boolean language plpgsql stable security definer set search_path = '' as $$
begin
  return coalesce((select o.status <> 'deletion_scheduled' from public.organizations o where o.id = p_organization_id), true);
end
$$;

create or replace function private.caller_permissions(p_organization_id uuid)
returns text[] language plpgsql stable security definer set search_path = '' as $$
begin
  if private.is_platform_admin() then
    return (select array_agg(key order by key) from public.permissions);
  end if;
  return coalesce(private.role_permissions(p_organization_id,
           (select m.role from public.organization_members m
            where m.organization_id = p_organization_id and m.user_id = auth.uid())), '{}');
end
$$;

create or replace function public.authorize(p_organization_id uuid, p_permission text)
returns boolean language plpgsql stable security definer set search_path = '' as $$
begin
  return p_permission = any (private.caller_permissions(p_organization_id))
     and private.session_meets_mfa(p_organization_id)
     and private.organization_usable(p_organization_id);
end
$$;

create or replace function private.member_organization_ids()
returns setof uuid language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select m.organization_id from public.organization_members m
    where m.user_id = (select auth.uid()) and private.session_meets_mfa(m.organization_id)
      and private.organization_usable(m.organization_id);
end
$$;

create or replace function private.permitted_organization_ids(p_permission text)
returns setof uuid language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select m.organization_id from public.organization_members m
    where m.user_id = (select auth.uid())
      and public.authorize(m.organization_id, p_permission);
end
$$;

create or replace function private.readable_organizations(p_permission text default null)
returns uuid[] language plpgsql stable security definer set search_path = '' as $$
begin
  if private.is_platform_admin() then
    return array(select id from public.organizations);
  elsif p_permission is null then
    return array(select private.member_organization_ids());
  end if;
  return array(select private.permitted_organization_ids(p_permission));
end
$$;

create or replace function private.permitted_organizations(p_permission text)
returns uuid[] language plpgsql stable security definer set search_path = '' as $$
begin
  if private.is_platform_admin() then
    return array(select id from public.organizations where status <> 'deletion_scheduled');
  end if;
  return array(select private.permitted_organization_ids(p_permission));
end
$$;

create or replace function private.enabled_features(p_organization_id uuid)
returns text[] language plpgsql stable security definer set search_path = '' as $$
begin
  return (
    select coalesce(array_agg(key order by key), '{}')
    from (
      select pf.feature_key as key
      from public.organizations o join public.plan_features pf on pf.plan_id = o.plan_id
      where o.id = p_organization_id
        and not exists (select 1 from public.organization_feature_overrides x
                        where x.organization_id = o.id and x.feature_key = pf.feature_key and not x.enabled)
      union
      select x.feature_key from public.organization_feature_overrides x
      where x.organization_id = p_organization_id and x.enabled
    ) enabled);
end
$$;

create or replace function public.my_organizations()
returns jsonb language plpgsql stable security definer set search_path = '' as $$
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
