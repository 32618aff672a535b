-- Directory sync: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION complete_directory_memberships()
CREATE FUNCTION private.complete_directory_memberships() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_id uuid;
begin
  if new.email_confirmed_at is null or new.email is null then
    delete from private.confirmed_emails where user_id = new.id;
    return null;
  end if;
  insert into private.confirmed_emails (user_id, email) values (new.id, lower(new.email))
  on conflict (user_id) do update set email = excluded.email;
  if tg_op = 'UPDATE' and old.email_confirmed_at is not null and old.email is not distinct from new.email then
    return null;
  end if;
  for v_id in select d.id from public.directory_users d
              where d.email = lower(new.email) and d.user_id is null and d.active
              order by d.created_at loop
    begin
      if 'directory-sync' = any (private.enabled_features((select organization_id from public.directory_users where id = v_id))) then
        perform private.directory_sync_member(v_id);
      end if;
    exception when sqlstate 'PT403' or sqlstate 'PT410' then
      null; -- no seat, or the organization is going: the person still confirms; the entry stays pending
    end;
  end loop;
  return null;
end
$$;

-- COMMENT FUNCTION complete_directory_memberships()
COMMENT ON FUNCTION private.complete_directory_memberships() IS 'At email confirmation (and when a confirmed address changes): the pending directory users of that address become memberships.';

-- ACL FUNCTION complete_directory_memberships()
REVOKE ALL ON FUNCTION private.complete_directory_memberships() FROM PUBLIC;

-- FUNCTION directory_for_token(text)
CREATE FUNCTION private.directory_for_token(p_token_hash text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_token public.directory_tokens;
begin
  select * into v_token from public.directory_tokens where token_hash = p_token_hash and revoked_at is null;
  if not found then
    raise exception using errcode = '28000', message = 'invalid_directory_token',
      detail = 'the bearer token is not a working directory token';
  end if;
  if not ('directory-sync' = any (private.enabled_features(v_token.organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include directory-sync';
  end if;
  perform private.require_usable_organization(v_token.organization_id);
  -- To the minute: a first sync's thousands of calls do not all queue on this one row.
  if v_token.last_used_at is null or v_token.last_used_at < now() - interval '1 minute' then
    update public.directory_tokens set last_used_at = now() where id = v_token.id;
  end if;
  return v_token.organization_id;
end
$$;

-- COMMENT FUNCTION directory_for_token(p_token_hash text)
COMMENT ON FUNCTION private.directory_for_token(p_token_hash text) IS 'The organization whose directory a bearer token (its SHA-256, hex) reaches: a token not revoked, of an organization with directory-sync that is not scheduled for deletion; else `invalid_directory_token`, `feature_not_enabled` or `organization_deletion_scheduled`. Notes the token''s last use, to the minute.';

-- ACL FUNCTION directory_for_token(p_token_hash text)
REVOKE ALL ON FUNCTION private.directory_for_token(p_token_hash text) FROM PUBLIC;

-- FUNCTION directory_grantable_role(uuid, text)
CREATE FUNCTION private.directory_grantable_role(p_organization_id uuid, p_role text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role) then
    raise exception using errcode = '22023', message = 'invalid_role',
      detail = 'role must be admin, recruiter, viewer or one of the organization''s roles';
  elsif p_role = 'owner' then
    raise exception using errcode = '22023', message = 'invalid_role', detail = 'a directory never grants owner';
  elsif not private.may_grant(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high', detail = 'a role you could not give yourself';
  end if;
  return p_role;
end
$$;

-- ACL FUNCTION directory_grantable_role(p_organization_id uuid, p_role text)
REVOKE ALL ON FUNCTION private.directory_grantable_role(p_organization_id uuid, p_role text) FROM PUBLIC;

-- TABLE directory_groups
CREATE TABLE public.directory_groups (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    display_name text NOT NULL,
    external_id text,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT directory_groups_display_name_check CHECK (((char_length(display_name) >= 1) AND (char_length(display_name) <= 256))),
    CONSTRAINT directory_groups_external_id_check CHECK ((char_length(external_id) <= 320))
);

-- COMMENT TABLE directory_groups
COMMENT ON TABLE public.directory_groups IS 'The groups an organization''s identity provider sent; their names are what group-to-role mappings refer to.';

-- ACL TABLE directory_groups
GRANT ALL ON TABLE public.directory_groups TO service_role;
GRANT SELECT ON TABLE public.directory_groups TO authenticated;

-- FUNCTION directory_group_for_write(uuid, uuid, integer)
CREATE FUNCTION private.directory_group_for_write(p_organization_id uuid, p_id uuid, p_expected_version integer) RETURNS public.directory_groups
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_group public.directory_groups;
begin
  select * into v_group from public.directory_groups where id = p_id and organization_id = p_organization_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'directory_group_not_found', detail = 'no such group in this directory';
  elsif p_expected_version is not null and v_group.version <> p_expected_version then
    raise exception using errcode = 'PT412', message = 'directory_group_changed', detail = 'the group changed since it was read';
  end if;
  return v_group;
end
$$;

-- ACL FUNCTION directory_group_for_write(p_organization_id uuid, p_id uuid, p_expected_version integer)
REVOKE ALL ON FUNCTION private.directory_group_for_write(p_organization_id uuid, p_id uuid, p_expected_version integer) FROM PUBLIC;

-- FUNCTION directory_group_name(text)
CREATE FUNCTION private.directory_group_name(p_name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  if p_name is null or char_length(btrim(p_name)) not between 1 and 256 or p_name ~ '[[:cntrl:]]' then
    raise exception using errcode = '22023', message = 'invalid_group', detail = 'displayName: 1-256 characters';
  end if;
  return btrim(p_name);
end
$$;

-- ACL FUNCTION directory_group_name(p_name text)
REVOKE ALL ON FUNCTION private.directory_group_name(p_name text) FROM PUBLIC;

-- TABLE directory_users
CREATE TABLE public.directory_users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    user_name text NOT NULL,
    external_id text,
    active boolean DEFAULT true NOT NULL,
    email text,
    resource jsonb NOT NULL,
    user_id uuid,
    role text,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT directory_users_email_check CHECK ((email = lower(email))),
    CONSTRAINT directory_users_external_id_check CHECK ((char_length(external_id) <= 320)),
    CONSTRAINT directory_users_resource_check CHECK ((jsonb_typeof(resource) = 'object'::text)),
    CONSTRAINT directory_users_user_name_check CHECK (((char_length(user_name) >= 1) AND (char_length(user_name) <= 320)))
);

-- COMMENT TABLE directory_users
COMMENT ON TABLE public.directory_users IS 'The people an organization''s identity provider sent, as it sent them (`resource`). `email` is the address they are linked by (the work email, else the primary, else the userName when it is one); `user_id` the auth user it belongs to once confirmed; `role` what their groups give them.';

-- ACL TABLE directory_users
GRANT ALL ON TABLE public.directory_users TO service_role;
GRANT SELECT ON TABLE public.directory_users TO authenticated;

-- FUNCTION directory_remove_member(public.directory_users, text)
CREATE FUNCTION private.directory_remove_member(p_entry public.directory_users, p_action text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  -- keep_an_owner refuses the last owner (`last_owner`), as on every other path.
  perform set_config('app.audit_action', p_action, true);
  delete from public.organization_members
  where organization_id = p_entry.organization_id and user_id = p_entry.user_id;
  perform set_config('app.audit_action', '', true);
  perform private.reset_active_organization(p_entry.user_id, p_entry.organization_id);
end
$$;

-- COMMENT FUNCTION directory_remove_member(p_entry public.directory_users, p_action text)
COMMENT ON FUNCTION private.directory_remove_member(p_entry public.directory_users, p_action text) IS 'Takes a directory user''s membership away (`member.suspended` or `member.deprovisioned` in the audit log and as an event); their active organization moves to another of theirs.';

-- ACL FUNCTION directory_remove_member(p_entry public.directory_users, p_action text)
REVOKE ALL ON FUNCTION private.directory_remove_member(p_entry public.directory_users, p_action text) FROM PUBLIC;

-- FUNCTION directory_role(public.directory_users)
CREATE FUNCTION private.directory_role(p_entry public.directory_users) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return coalesce(
    (select r.role
     from public.directory_group_members gm
     join public.directory_groups g on g.id = gm.group_id
     join public.directory_group_roles r
       on r.organization_id = g.organization_id and lower(r.group_name) = lower(g.display_name)
     where gm.user_id = p_entry.id and r.role <> 'owner' and private.role_exists(g.organization_id, r.role)
     order by cardinality(private.role_permissions(g.organization_id, r.role)) desc,
              private.role_rank(r.role) desc nulls last, r.role
     limit 1),
    (select d.default_role from public.directories d
     where d.organization_id = p_entry.organization_id and private.role_exists(d.organization_id, d.default_role)),
    'viewer');
end
$$;

-- COMMENT FUNCTION directory_role(p_entry public.directory_users)
COMMENT ON FUNCTION private.directory_role(p_entry public.directory_users) IS 'The role a directory user''s groups give: the mapped role holding the most permissions among their groups'' (never owner), else the directory''s default role.';

-- ACL FUNCTION directory_role(p_entry public.directory_users)
REVOKE ALL ON FUNCTION private.directory_role(p_entry public.directory_users) FROM PUBLIC;

-- FUNCTION directory_set_group_members(uuid, uuid, text, uuid[])
CREATE FUNCTION private.directory_set_group_members(p_group_id uuid, p_organization_id uuid, p_op text, p_ids uuid[]) RETURNS uuid[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_ids uuid[] := private.directory_users_of(p_organization_id, p_ids);
  v_changed uuid[];
begin
  if p_op = 'replace' then
    with removed as (
      delete from public.directory_group_members where group_id = p_group_id and user_id <> all (v_ids) returning user_id)
    select array_agg(user_id) into v_changed from removed;
  end if;
  if p_op in ('add', 'replace') then
    with added as (
      insert into public.directory_group_members (group_id, user_id) select p_group_id, i from unnest(v_ids) i
      on conflict do nothing returning user_id)
    select coalesce(v_changed, '{}') || coalesce(array_agg(user_id), '{}') into v_changed from added;
  elsif p_op = 'remove' then
    with removed as (
      delete from public.directory_group_members where group_id = p_group_id and user_id = any (v_ids) returning user_id)
    select array_agg(user_id) into v_changed from removed;
  else
    raise exception using errcode = '22023', message = 'invalid_group_change', detail = format('unknown change %s', p_op);
  end if;
  return coalesce(v_changed, '{}');
end
$$;

-- COMMENT FUNCTION directory_set_group_members(p_group_id uuid, p_organization_id uuid, p_op text, p_ids uuid[])
COMMENT ON FUNCTION private.directory_set_group_members(p_group_id uuid, p_organization_id uuid, p_op text, p_ids uuid[]) IS 'Adds, removes or replaces a group''s members (users of the same directory only); answers who changed.';

-- ACL FUNCTION directory_set_group_members(p_group_id uuid, p_organization_id uuid, p_op text, p_ids uuid[])
REVOKE ALL ON FUNCTION private.directory_set_group_members(p_group_id uuid, p_organization_id uuid, p_op text, p_ids uuid[]) FROM PUBLIC;

-- FUNCTION directory_sync_member(uuid)
CREATE FUNCTION private.directory_sync_member(p_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_entry public.directory_users;
  v_user auth.users;
  v_current text;
  v_role text;
begin
  select * into v_entry from public.directory_users where id = p_id for update;
  if not found then
    return;
  end if;
  -- Linked by a confirmed address only: an unconfirmed account for someone else's address
  -- gets nothing.
  if v_entry.user_id is null and v_entry.active and v_entry.email is not null then
    select u.* into v_user from private.confirmed_emails c join auth.users u on u.id = c.user_id
    where c.email = v_entry.email
      and not exists (select 1 from public.directory_users o
                      where o.organization_id = v_entry.organization_id and o.user_id = u.id)
    order by u.created_at
    limit 1;
    if v_user.id is not null then
      update public.directory_users set user_id = v_user.id where id = p_id;
      v_entry.user_id := v_user.id;
    end if;
  end if;
  v_role := private.directory_role(v_entry);
  if v_entry.user_id is not null then
    select m.role into v_current from public.organization_members m
    where m.organization_id = v_entry.organization_id and m.user_id = v_entry.user_id for update;
    if not v_entry.active then
      if v_current is not null then
        perform private.directory_remove_member(v_entry, 'member.suspended');
      end if;
    elsif v_current is null then
      perform private.require_usable_organization(v_entry.organization_id);
      perform private.require_seat(v_entry.organization_id);
      select * into v_user from auth.users where id = v_entry.user_id;
      insert into public.profiles (id, email, full_name)
      values (v_user.id, v_user.email, private.signup_full_name(v_user.raw_user_meta_data, v_user.email))
      on conflict (id) do nothing;
      perform set_config('app.join_via', 'scim', true);
      perform set_config('app.audit_action', 'member.provisioned', true);
      insert into public.organization_members (organization_id, user_id, role)
      values (v_entry.organization_id, v_entry.user_id, v_role);
      perform set_config('app.audit_action', '', true);
      perform set_config('app.join_via', '', true);
      update public.profiles set organization_id = v_entry.organization_id
      where id = v_entry.user_id and organization_id is null;
    elsif v_current = 'owner' then
      v_role := 'owner'; -- a directory never grants owner, nor takes it
    elsif v_current <> v_role then
      update public.organization_members set role = v_role
      where organization_id = v_entry.organization_id and user_id = v_entry.user_id;
    end if;
  end if;
  update public.directory_users set role = v_role where id = p_id and role is distinct from v_role;
end
$$;

-- COMMENT FUNCTION directory_sync_member(p_id uuid)
COMMENT ON FUNCTION private.directory_sync_member(p_id uuid) IS 'Makes the membership follow the directory user: linked to the confirmed auth user of their address; active with the role their groups give (an owner stays owner) — a membership made `member.provisioned` (via scim); inactive: no membership (`member.suspended`). A pending user (no account yet) keeps their role for their confirmation.';

-- ACL FUNCTION directory_sync_member(p_id uuid)
REVOKE ALL ON FUNCTION private.directory_sync_member(p_id uuid) FROM PUBLIC;

-- FUNCTION directory_sync_members(uuid[])
CREATE FUNCTION private.directory_sync_members(p_ids uuid[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_id uuid;
begin
  -- In id order, so two group changes touching the same people lock them in one order.
  for v_id in select distinct i from unnest(p_ids) i order by 1 loop
    perform private.directory_sync_member(v_id);
  end loop;
end
$$;

-- ACL FUNCTION directory_sync_members(p_ids uuid[])
REVOKE ALL ON FUNCTION private.directory_sync_members(p_ids uuid[]) FROM PUBLIC;

-- FUNCTION directory_users_of(uuid, uuid[])
CREATE FUNCTION private.directory_users_of(p_organization_id uuid, p_ids uuid[]) RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_found uuid[] := array(select id from public.directory_users
                          where organization_id = p_organization_id and id = any (coalesce(p_ids, '{}')));
begin
  if cardinality(v_found) < (select count(distinct i) from unnest(coalesce(p_ids, '{}')) i) then
    raise exception using errcode = '22023', message = 'directory_member_not_found',
      detail = 'a member is not a user of this directory';
  end if;
  return v_found;
end
$$;

-- COMMENT FUNCTION directory_users_of(p_organization_id uuid, p_ids uuid[])
COMMENT ON FUNCTION private.directory_users_of(p_organization_id uuid, p_ids uuid[]) IS 'The given ids, each a user of the directory; else `directory_member_not_found`.';

-- ACL FUNCTION directory_users_of(p_organization_id uuid, p_ids uuid[])
REVOKE ALL ON FUNCTION private.directory_users_of(p_organization_id uuid, p_ids uuid[]) FROM PUBLIC;

-- FUNCTION manage_directory(uuid)
CREATE FUNCTION private.manage_directory(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.require_permission(p_organization_id, 'org:directory:manage', 'only those who manage directory sync');
  if not ('directory-sync' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include directory-sync';
  end if;
  insert into public.directories (organization_id, created_by) values (p_organization_id, auth.uid())
  on conflict (organization_id) do nothing;
end
$$;

-- COMMENT FUNCTION manage_directory(p_organization_id uuid)
COMMENT ON FUNCTION private.manage_directory(p_organization_id uuid) IS 'The caller manages the organization''s directory (`org:directory:manage`, the organization locked, its MFA policy met) and its plan has directory-sync; the directory exists from then on.';

-- ACL FUNCTION manage_directory(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.manage_directory(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION scim_filter_sql(jsonb, text, text)
CREATE FUNCTION private.scim_filter_sql(p_filter jsonb, p_kind text, p_context text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
declare
  v_op text := p_filter ->> 'op';
  v_path text[];
  v_expr text;
  v_exact boolean := coalesce((p_filter ->> 'case_exact')::boolean, false);
  v_type text := 'string';
  v_value jsonb := p_filter -> 'value';
  v_literal text;
  v_alias text := left(p_kind, 1);
begin
  if p_filter is null or jsonb_typeof(p_filter) = 'null' then
    return null;
  elsif v_op in ('and', 'or') then
    return format('(%s %s %s)', private.scim_filter_sql(p_filter -> 'left', p_kind, p_context), v_op,
                  private.scim_filter_sql(p_filter -> 'right', p_kind, p_context));
  elsif v_op = 'not' then
    return format('(not coalesce(%s, false))', private.scim_filter_sql(p_filter -> 'filter', p_kind, p_context));
  end if;
  v_path := array(select jsonb_array_elements_text(p_filter -> 'path'));
  if v_op = 'has' then
    if p_kind = 'group' and v_path = array['members'] then
      return format('exists (select 1 from public.directory_group_members gm where gm.group_id = g.id and %s)',
        private.scim_filter_sql(p_filter -> 'filter', 'element', 'jsonb_build_object(''value'', gm.user_id::text)'));
    elsif p_kind = 'user' and v_path = array['groups'] then
      return format('exists (select 1 from public.directory_group_members gm join public.directory_groups dg on dg.id = gm.group_id where gm.user_id = u.id and %s)',
        private.scim_filter_sql(p_filter -> 'filter', 'element', 'jsonb_build_object(''value'', dg.id::text, ''display'', dg.display_name)'));
    end if;
    return format('exists (select 1 from jsonb_array_elements(case when jsonb_typeof(%1$s #> %2$L) = ''array'' then %1$s #> %2$L else ''[]''::jsonb end) e where %3$s)',
                  p_context, v_path, private.scim_filter_sql(p_filter -> 'filter', 'element', 'e.value'));
  end if;

  if p_kind in ('user', 'group') and v_path = array['id'] then
    v_expr := v_alias || '.id::text'; v_exact := true;
  elsif p_kind = 'user' and v_path = array['userName'] then
    v_expr := 'u.user_name';
  elsif p_kind = 'group' and v_path = array['displayName'] then
    v_expr := 'g.display_name';
  elsif p_kind in ('user', 'group') and v_path = array['externalId'] then
    v_expr := v_alias || '.external_id'; v_exact := true;
  elsif p_kind = 'user' and v_path = array['active'] then
    v_expr := 'u.active'; v_type := 'boolean';
  elsif p_kind in ('user', 'group') and v_path = array['meta', 'created'] then
    v_expr := v_alias || '.created_at'; v_type := 'time';
  elsif p_kind in ('user', 'group') and v_path = array['meta', 'lastModified'] then
    v_expr := v_alias || '.updated_at'; v_type := 'time';
  elsif p_kind = 'group' then
    v_expr := 'null::text'; -- a group keeps no other attribute
  else
    v_expr := format('(%s #>> %L)', p_context, v_path);
  end if;

  if v_op = 'pr' then
    return format('(%s is not null)', v_expr);
  elsif v_op not in ('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le') then
    raise exception using errcode = '22023', message = 'invalid_filter', detail = format('unknown operator %s', v_op);
  elsif v_value is null or jsonb_typeof(v_value) = 'null' then
    if v_op in ('eq', 'ne') then
      return format('(%s is %s null)', v_expr, case v_op when 'ne' then 'not' else '' end);
    end if;
    raise exception using errcode = '22023', message = 'invalid_filter', detail = 'null is compared with eq or ne only';
  end if;
  v_literal := v_value #>> '{}';
  if v_type = 'boolean' then
    if jsonb_typeof(v_value) <> 'boolean' or v_op not in ('eq', 'ne') then
      raise exception using errcode = '22023', message = 'invalid_filter', detail = 'active is compared with eq or ne and true or false';
    end if;
    return format('(%s %s %L::boolean)', v_expr, case v_op when 'eq' then '=' else '<>' end, v_literal);
  elsif v_type = 'time' then
    begin
      v_literal := v_literal::timestamptz::text;
    exception when others then
      raise exception using errcode = '22023', message = 'invalid_filter', detail = 'a date is compared with a date';
    end;
    if v_op in ('co', 'sw', 'ew') then
      raise exception using errcode = '22023', message = 'invalid_filter', detail = 'a date is compared with eq, ne, gt, ge, lt or le';
    end if;
  elsif jsonb_typeof(v_value) <> 'string' then
    v_exact := true; -- numbers and booleans inside the resource compare as their JSON text
  end if;
  if v_type = 'string' and not v_exact then
    v_expr := format('lower(%s)', v_expr);
    v_literal := lower(v_literal);
  end if;
  return case v_op
    when 'eq' then format('(%s = %L)', v_expr, v_literal)
    when 'ne' then format('(%s is distinct from %L)', v_expr, v_literal)
    when 'co' then format('(strpos(%s, %L) > 0)', v_expr, v_literal)
    when 'sw' then format('starts_with(%s, %L)', v_expr, v_literal)
    when 'ew' then format('(right(%s, %s) = %L)', v_expr, char_length(v_literal), v_literal)
    when 'gt' then format('(%s > %L)', v_expr, v_literal)
    when 'ge' then format('(%s >= %L)', v_expr, v_literal)
    when 'lt' then format('(%s < %L)', v_expr, v_literal)
    else format('(%s <= %L)', v_expr, v_literal) end;
end
$_$;

-- COMMENT FUNCTION scim_filter_sql(p_filter jsonb, p_kind text, p_context text)
COMMENT ON FUNCTION private.scim_filter_sql(p_filter jsonb, p_kind text, p_context text) IS 'A parsed SCIM filter as an SQL condition over `u` (directory_users) or `g` (directory_groups): every value a quoted literal, attribute paths quoted too; strings compared case-insensitively unless the attribute is case-exact. `invalid_filter` for what cannot be compared.';

-- ACL FUNCTION scim_filter_sql(p_filter jsonb, p_kind text, p_context text)
REVOKE ALL ON FUNCTION private.scim_filter_sql(p_filter jsonb, p_kind text, p_context text) FROM PUBLIC;

-- FUNCTION scim_group_view(public.directory_groups, boolean)
CREATE FUNCTION private.scim_group_view(p_group public.directory_groups, p_with_members boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return jsonb_build_object(
    'id', p_group.id, 'display_name', p_group.display_name, 'external_id', p_group.external_id,
    'created', p_group.created_at, 'last_modified', p_group.updated_at, 'version', p_group.version,
    'members', case when p_with_members then
      coalesce((select jsonb_agg(jsonb_build_object('value', u.id, 'display', u.user_name) order by u.user_name)
                from public.directory_group_members gm join public.directory_users u on u.id = gm.user_id
                where gm.group_id = p_group.id), '[]'::jsonb) end);
end
$$;

-- ACL FUNCTION scim_group_view(p_group public.directory_groups, p_with_members boolean)
REVOKE ALL ON FUNCTION private.scim_group_view(p_group public.directory_groups, p_with_members boolean) FROM PUBLIC;

-- FUNCTION scim_user_view(public.directory_users)
CREATE FUNCTION private.scim_user_view(p_entry public.directory_users) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return jsonb_build_object(
    'id', p_entry.id, 'resource', p_entry.resource, 'active', p_entry.active,
    'created', p_entry.created_at, 'last_modified', p_entry.updated_at, 'version', p_entry.version,
    'linked', p_entry.user_id is not null, 'role', p_entry.role,
    'groups', coalesce((select jsonb_agg(jsonb_build_object('value', g.id, 'display', g.display_name)
                                         order by g.display_name)
                        from public.directory_group_members gm join public.directory_groups g on g.id = gm.group_id
                        where gm.user_id = p_entry.id), '[]'::jsonb));
end
$$;

-- ACL FUNCTION scim_user_view(p_entry public.directory_users)
REVOKE ALL ON FUNCTION private.scim_user_view(p_entry public.directory_users) FROM PUBLIC;

-- FUNCTION create_directory_token(uuid)
CREATE FUNCTION public.create_directory_token(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_token text;
  v_row public.directory_tokens;
begin
  perform private.manage_directory(p_organization_id);
  if (select count(*) from public.directory_tokens
      where organization_id = p_organization_id and revoked_at is null) >= 5 then
    raise exception using errcode = 'PT403', message = 'directory_token_limit_reached',
      detail = 'a directory has at most 5 working tokens: revoke one first';
  end if;
  v_token := 'scim_' || rtrim(translate(encode(extensions.gen_random_bytes(32), 'base64'), '+/', '-_'), '=');
  insert into public.directory_tokens (organization_id, token_hash, hint, created_by)
  values (p_organization_id, encode(extensions.digest(v_token, 'sha256'), 'hex'), right(v_token, 4), auth.uid())
  returning * into v_row;
  perform private.audit(p_organization_id, 'directory.token_created', null, null, null,
                        jsonb_build_object('token_id', v_row.id, 'hint', v_row.hint));
  return jsonb_build_object('id', v_row.id, 'organization_id', p_organization_id, 'token', v_token,
                            'hint', v_row.hint, 'created_at', v_row.created_at);
end
$$;

-- COMMENT FUNCTION create_directory_token(p_organization_id uuid)
COMMENT ON FUNCTION public.create_directory_token(p_organization_id uuid) IS 'A new bearer token for the organization''s identity provider (turning directory sync on): answered this once, kept as its SHA-256. Others keep working until revoked, so a rotation loses no call.';

-- ACL FUNCTION create_directory_token(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.create_directory_token(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_directory_token(p_organization_id uuid) TO authenticated;

-- FUNCTION directory_status(uuid)
CREATE FUNCTION public.directory_status(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_directory public.directories;
begin
  if private.caller_role(p_organization_id) is null or not public.authorize(p_organization_id, 'org:directory:manage') then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = 'only those who manage directory sync';
  end if;
  select * into v_directory from public.directories where organization_id = p_organization_id;
  return jsonb_build_object(
    'organization_id', p_organization_id,
    'available', 'directory-sync' = any (private.enabled_features(p_organization_id)),
    'enabled', exists (select 1 from public.directory_tokens where organization_id = p_organization_id and revoked_at is null),
    'default_role', coalesce(v_directory.default_role, 'viewer'),
    'send_invitations', coalesce(v_directory.send_invitations, false),
    'last_used_at', (select max(last_used_at) from public.directory_tokens where organization_id = p_organization_id),
    'last_change_at', greatest(
      (select max(updated_at) from public.directory_users where organization_id = p_organization_id),
      (select max(updated_at) from public.directory_groups where organization_id = p_organization_id)),
    'tokens', coalesce((select jsonb_agg(jsonb_build_object('id', t.id, 'hint', t.hint, 'created_at', t.created_at,
                                                            'last_used_at', t.last_used_at, 'revoked_at', t.revoked_at)
                                         order by t.created_at desc)
                        from public.directory_tokens t where t.organization_id = p_organization_id), '[]'::jsonb),
    'mappings', coalesce((select jsonb_agg(jsonb_build_object('group', r.group_name, 'role', r.role) order by lower(r.group_name))
                          from public.directory_group_roles r where r.organization_id = p_organization_id), '[]'::jsonb),
    'counts', (select jsonb_build_object(
                 'users', count(*), 'members', count(*) filter (where active and user_id is not null),
                 'pending', count(*) filter (where active and user_id is null),
                 'suspended', count(*) filter (where not active),
                 'groups', (select count(*) from public.directory_groups where organization_id = p_organization_id),
                 'provisioned', (select count(*) from public.organization_audit_log
                                 where organization_id = p_organization_id and action = 'member.provisioned'),
                 'deprovisioned', (select count(*) from public.organization_audit_log
                                   where organization_id = p_organization_id and action = 'member.deprovisioned'))
               from public.directory_users where organization_id = p_organization_id),
    'people', coalesce((select jsonb_agg(jsonb_build_object('id', p.id, 'user_name', p.user_name, 'email', p.email,
                                                            'user_id', p.user_id, 'role', p.role,
                                                            'state', case when not p.active then 'suspended'
                                                                          when p.user_id is null then 'pending'
                                                                          else 'member' end,
                                                            'updated_at', p.updated_at) order by p.updated_at desc)
                        from (select * from public.directory_users where organization_id = p_organization_id
                              order by updated_at desc limit 100) p), '[]'::jsonb));
end
$$;

-- COMMENT FUNCTION directory_status(p_organization_id uuid)
COMMENT ON FUNCTION public.directory_status(p_organization_id uuid) IS 'For the Team page: whether directory sync is available and on, its settings, tokens (never the token), mappings, last use, what the directory did (counts) and the 100 people it changed last, each member, pending (no account yet) or suspended.';

-- ACL FUNCTION directory_status(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.directory_status(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.directory_status(p_organization_id uuid) TO authenticated;

-- FUNCTION revoke_directory_token(uuid)
CREATE FUNCTION public.revoke_directory_token(p_token_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_row public.directory_tokens;
begin
  select * into v_row from public.directory_tokens where id = p_token_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'directory_token_not_found', detail = 'no such token';
  end if;
  perform private.manage_directory(v_row.organization_id);
  update public.directory_tokens set revoked_at = coalesce(revoked_at, now()) where id = p_token_id
  returning * into v_row;
  perform private.audit(v_row.organization_id, 'directory.token_revoked', null, null, null,
                        jsonb_build_object('token_id', v_row.id, 'hint', v_row.hint));
  return jsonb_build_object('id', v_row.id, 'organization_id', v_row.organization_id, 'revoked_at', v_row.revoked_at);
end
$$;

-- COMMENT FUNCTION revoke_directory_token(p_token_id uuid)
COMMENT ON FUNCTION public.revoke_directory_token(p_token_id uuid) IS 'The token stops working at once (revoking twice answers the first revocation).';

-- ACL FUNCTION revoke_directory_token(p_token_id uuid)
REVOKE ALL ON FUNCTION public.revoke_directory_token(p_token_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.revoke_directory_token(p_token_id uuid) TO authenticated;

-- FUNCTION scim_check_token(text)
CREATE FUNCTION public.scim_check_token(p_token_hash text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.directory_for_token(p_token_hash);
  return true;
end
$$;

-- COMMENT FUNCTION scim_check_token(p_token_hash text)
COMMENT ON FUNCTION public.scim_check_token(p_token_hash text) IS 'SCIM: whether the token works (else the error directory_for_token raises); the discovery endpoints ask it.';

-- ACL FUNCTION scim_check_token(p_token_hash text)
REVOKE ALL ON FUNCTION public.scim_check_token(p_token_hash text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_check_token(p_token_hash text) TO service_role;

-- FUNCTION scim_delete_group(text, uuid)
CREATE FUNCTION public.scim_delete_group(p_token_hash text, p_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_group public.directory_groups := private.directory_group_for_write(v_organization_id, p_id, null);
  v_members uuid[] := array(select user_id from public.directory_group_members where group_id = p_id);
begin
  delete from public.directory_groups where id = v_group.id;
  perform private.directory_sync_members(v_members);
  return jsonb_build_object('id', p_id, 'deleted', true);
end
$$;

-- COMMENT FUNCTION scim_delete_group(p_token_hash text, p_id uuid)
COMMENT ON FUNCTION public.scim_delete_group(p_token_hash text, p_id uuid) IS 'SCIM: removes a group; its members get the role their other groups give.';

-- ACL FUNCTION scim_delete_group(p_token_hash text, p_id uuid)
REVOKE ALL ON FUNCTION public.scim_delete_group(p_token_hash text, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_delete_group(p_token_hash text, p_id uuid) TO service_role;

-- FUNCTION scim_delete_user(text, uuid)
CREATE FUNCTION public.scim_delete_user(p_token_hash text, p_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_entry public.directory_users;
begin
  select * into v_entry from public.directory_users where id = p_id and organization_id = v_organization_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'directory_user_not_found', detail = 'no such user in this directory';
  end if;
  if v_entry.user_id is not null and exists (select 1 from public.organization_members
      where organization_id = v_organization_id and user_id = v_entry.user_id) then
    perform private.directory_remove_member(v_entry, 'member.deprovisioned');
  end if;
  delete from public.directory_users where id = p_id;
  return jsonb_build_object('id', p_id, 'deleted', true);
end
$$;

-- COMMENT FUNCTION scim_delete_user(p_token_hash text, p_id uuid)
COMMENT ON FUNCTION public.scim_delete_user(p_token_hash text, p_id uuid) IS 'SCIM: removes a directory user and their membership (`member.deprovisioned`); the auth user stays (they may belong elsewhere). The last owner is refused (`last_owner`).';

-- ACL FUNCTION scim_delete_user(p_token_hash text, p_id uuid)
REVOKE ALL ON FUNCTION public.scim_delete_user(p_token_hash text, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_delete_user(p_token_hash text, p_id uuid) TO service_role;

-- FUNCTION scim_get_group(text, uuid, boolean)
CREATE FUNCTION public.scim_get_group(p_token_hash text, p_id uuid, p_with_members boolean) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_group public.directory_groups;
begin
  select * into v_group from public.directory_groups where id = p_id and organization_id = v_organization_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'directory_group_not_found', detail = 'no such group in this directory';
  end if;
  return private.scim_group_view(v_group, coalesce(p_with_members, true));
end
$$;

-- COMMENT FUNCTION scim_get_group(p_token_hash text, p_id uuid, p_with_members boolean)
COMMENT ON FUNCTION public.scim_get_group(p_token_hash text, p_id uuid, p_with_members boolean) IS 'SCIM: one group of the directory.';

-- ACL FUNCTION scim_get_group(p_token_hash text, p_id uuid, p_with_members boolean)
REVOKE ALL ON FUNCTION public.scim_get_group(p_token_hash text, p_id uuid, p_with_members boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_get_group(p_token_hash text, p_id uuid, p_with_members boolean) TO service_role;

-- FUNCTION scim_get_user(text, uuid)
CREATE FUNCTION public.scim_get_user(p_token_hash text, p_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_entry public.directory_users;
begin
  select * into v_entry from public.directory_users where id = p_id and organization_id = v_organization_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'directory_user_not_found', detail = 'no such user in this directory';
  end if;
  return private.scim_user_view(v_entry);
end
$$;

-- COMMENT FUNCTION scim_get_user(p_token_hash text, p_id uuid)
COMMENT ON FUNCTION public.scim_get_user(p_token_hash text, p_id uuid) IS 'SCIM: one user of the directory.';

-- ACL FUNCTION scim_get_user(p_token_hash text, p_id uuid)
REVOKE ALL ON FUNCTION public.scim_get_user(p_token_hash text, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_get_user(p_token_hash text, p_id uuid) TO service_role;

-- FUNCTION scim_list_groups(text, jsonb, integer, integer, boolean)
CREATE FUNCTION public.scim_list_groups(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer, p_with_members boolean) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_where text := coalesce(private.scim_filter_sql(p_filter, 'group', 'null::jsonb'), 'true');
  v_total bigint;
  v_page jsonb := '[]';
begin
  execute format('select count(*) from public.directory_groups g where g.organization_id = $1 and %s', v_where)
    into v_total using v_organization_id;
  if coalesce(p_count, 1) > 0 and v_total > 0 then
    execute format('select coalesce(jsonb_agg(private.scim_group_view(page.g, $4) order by (page.g).created_at, (page.g).id), ''[]'')
                    from (select g from public.directory_groups g where g.organization_id = $1 and %s
                          order by g.created_at, g.id offset $2 limit $3) page', v_where)
      into v_page
      using v_organization_id, greatest(coalesce(p_start_index, 1), 1) - 1,
            least(greatest(coalesce(p_count, 100), 0), 200), coalesce(p_with_members, true);
  end if;
  return jsonb_build_object('total', v_total, 'resources', v_page);
end
$_$;

-- COMMENT FUNCTION scim_list_groups(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer, p_with_members boolean)
COMMENT ON FUNCTION public.scim_list_groups(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer, p_with_members boolean) IS 'SCIM: a page of the directory''s groups matching the filter, oldest first, with or without their members.';

-- ACL FUNCTION scim_list_groups(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer, p_with_members boolean)
REVOKE ALL ON FUNCTION public.scim_list_groups(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer, p_with_members boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_list_groups(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer, p_with_members boolean) TO service_role;

-- FUNCTION scim_list_users(text, jsonb, integer, integer)
CREATE FUNCTION public.scim_list_users(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_where text := coalesce(private.scim_filter_sql(p_filter, 'user', 'u.resource'), 'true');
  v_total bigint;
  v_page jsonb := '[]';
begin
  execute format('select count(*) from public.directory_users u where u.organization_id = $1 and %s', v_where)
    into v_total using v_organization_id;
  if coalesce(p_count, 1) > 0 and v_total > 0 then
    execute format('select coalesce(jsonb_agg(private.scim_user_view(page.u) order by (page.u).created_at, (page.u).id), ''[]'')
                    from (select u from public.directory_users u where u.organization_id = $1 and %s
                          order by u.created_at, u.id offset $2 limit $3) page', v_where)
      into v_page
      using v_organization_id, greatest(coalesce(p_start_index, 1), 1) - 1, least(greatest(coalesce(p_count, 100), 0), 200);
  end if;
  return jsonb_build_object('total', v_total, 'resources', v_page);
end
$_$;

-- COMMENT FUNCTION scim_list_users(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer)
COMMENT ON FUNCTION public.scim_list_users(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer) IS 'SCIM: a page of the directory''s users matching the filter, oldest first (`startIndex` from 1, at most 200 a page), with the total.';

-- ACL FUNCTION scim_list_users(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer)
REVOKE ALL ON FUNCTION public.scim_list_users(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_list_users(p_token_hash text, p_filter jsonb, p_start_index integer, p_count integer) TO service_role;

-- FUNCTION scim_patch_group(text, uuid, jsonb)
CREATE FUNCTION public.scim_patch_group(p_token_hash text, p_id uuid, p_changes jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_group public.directory_groups := private.directory_group_for_write(v_organization_id, p_id, null);
  v_change jsonb;
  v_changed uuid[] := '{}';
begin
  if jsonb_typeof(p_changes) is distinct from 'array' then
    raise exception using errcode = '22023', message = 'invalid_group_change', detail = 'changes: an array';
  end if;
  for v_change in select * from jsonb_array_elements(p_changes) loop
    if v_change ? 'members' then
      v_changed := v_changed || private.directory_set_group_members(p_id, v_organization_id, v_change ->> 'op',
        array(select jsonb_array_elements_text(v_change -> 'members'))::uuid[]);
    elsif v_change ? 'displayName' then
      if lower(private.directory_group_name(v_change ->> 'displayName')) <> lower(v_group.display_name) then
        v_changed := v_changed || array(select user_id from public.directory_group_members where group_id = p_id);
      end if;
      update public.directory_groups set display_name = private.directory_group_name(v_change ->> 'displayName')
      where id = p_id returning * into v_group;
    elsif v_change ? 'externalId' then
      update public.directory_groups set external_id = v_change ->> 'externalId' where id = p_id returning * into v_group;
    else
      raise exception using errcode = '22023', message = 'invalid_group_change', detail = 'a change names members, displayName or externalId';
    end if;
  end loop;
  update public.directory_groups set version = version + 1 where id = p_id returning * into v_group;
  perform private.directory_sync_members(v_changed);
  -- The members come back while they are few; a large group's answer stays small.
  return private.scim_group_view(v_group,
    (select count(*) from public.directory_group_members where group_id = p_id) <= 1000);
end
$$;

-- COMMENT FUNCTION scim_patch_group(p_token_hash text, p_id uuid, p_changes jsonb)
COMMENT ON FUNCTION public.scim_patch_group(p_token_hash text, p_id uuid, p_changes jsonb) IS 'SCIM PATCH of a group, as the function reduced it: changes `{"op": "add"|"remove"|"replace", "members": [ids]}`, `{"displayName"}`, `{"externalId"}`, applied in order in one transaction; the answer lists the members up to 1,000 of them.';

-- ACL FUNCTION scim_patch_group(p_token_hash text, p_id uuid, p_changes jsonb)
REVOKE ALL ON FUNCTION public.scim_patch_group(p_token_hash text, p_id uuid, p_changes jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_patch_group(p_token_hash text, p_id uuid, p_changes jsonb) TO service_role;

-- FUNCTION scim_save_group(text, uuid, text, text, uuid[], integer)
CREATE FUNCTION public.scim_save_group(p_token_hash text, p_id uuid, p_display_name text, p_external_id text, p_members uuid[], p_expected_version integer DEFAULT NULL::integer) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_group public.directory_groups;
  v_name text := private.directory_group_name(p_display_name);
  v_changed uuid[];
begin
  if p_id is null then
    insert into public.directory_groups (organization_id, display_name, external_id)
    values (v_organization_id, v_name, p_external_id) returning * into v_group;
  else
    v_group := private.directory_group_for_write(v_organization_id, p_id, p_expected_version);
    -- A new name may map to another role: everyone in it is looked at again.
    if lower(v_name) <> lower(v_group.display_name) then
      v_changed := array(select user_id from public.directory_group_members where group_id = p_id);
    end if;
    update public.directory_groups set display_name = v_name, external_id = p_external_id, version = version + 1
    where id = p_id returning * into v_group;
  end if;
  if p_members is not null then
    v_changed := coalesce(v_changed, '{}') || private.directory_set_group_members(v_group.id, v_organization_id, 'replace', p_members);
  end if;
  perform private.directory_sync_members(v_changed);
  return private.scim_group_view(v_group, true) || jsonb_build_object('inserted', p_id is null);
end
$$;

-- COMMENT FUNCTION scim_save_group(p_token_hash text, p_id uuid, p_display_name text, p_external_id text, p_members uuid[], p_expected_version integer)
COMMENT ON FUNCTION public.scim_save_group(p_token_hash text, p_id uuid, p_display_name text, p_external_id text, p_members uuid[], p_expected_version integer) IS 'SCIM: creates (no id) or replaces a group; `p_members` null keeps the members. Everyone whose groups changed gets the role they now give. A displayName taken in the directory (case-insensitively) is a unique violation.';

-- ACL FUNCTION scim_save_group(p_token_hash text, p_id uuid, p_display_name text, p_external_id text, p_members uuid[], p_expected_version integer)
REVOKE ALL ON FUNCTION public.scim_save_group(p_token_hash text, p_id uuid, p_display_name text, p_external_id text, p_members uuid[], p_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_save_group(p_token_hash text, p_id uuid, p_display_name text, p_external_id text, p_members uuid[], p_expected_version integer) TO service_role;

-- FUNCTION scim_save_user(text, uuid, jsonb, text, integer)
CREATE FUNCTION public.scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text, p_expected_version integer DEFAULT NULL::integer) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid := private.directory_for_token(p_token_hash);
  v_entry public.directory_users;
  v_user_name text := btrim(p_resource ->> 'userName');
  v_active boolean;
  v_created boolean := p_id is null;
begin
  if jsonb_typeof(p_resource) is distinct from 'object' or coalesce(v_user_name, '') = ''
     or char_length(v_user_name) > 320 then
    raise exception using errcode = '22023', message = 'invalid_user', detail = 'userName: 1-320 characters';
  end if;
  if jsonb_typeof(p_resource -> 'active') not in ('boolean', 'null') then
    raise exception using errcode = '22023', message = 'invalid_user', detail = 'active: true or false';
  end if;
  v_active := coalesce((p_resource ->> 'active')::boolean, true);
  if p_id is null then
    insert into public.directory_users (organization_id, user_name, external_id, active, email, resource)
    values (v_organization_id, v_user_name, p_resource ->> 'externalId', v_active, lower(btrim(p_email)), p_resource)
    returning * into v_entry;
  else
    select * into v_entry from public.directory_users where id = p_id and organization_id = v_organization_id for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'directory_user_not_found', detail = 'no such user in this directory';
    elsif p_expected_version is not null and v_entry.version <> p_expected_version then
      raise exception using errcode = 'PT412', message = 'directory_user_changed',
        detail = 'the user changed since it was read';
    end if;
    update public.directory_users
    set user_name = v_user_name, external_id = p_resource ->> 'externalId', active = v_active,
        email = lower(btrim(p_email)), resource = p_resource, version = version + 1
    where id = p_id returning * into v_entry;
  end if;
  perform private.directory_sync_member(v_entry.id);
  select * into v_entry from public.directory_users where id = v_entry.id;
  return private.scim_user_view(v_entry) || jsonb_build_object('inserted', v_created,
    'send_invitation', v_created and v_entry.user_id is null and v_entry.active and v_entry.email is not null
      and (select send_invitations from public.directories where organization_id = v_organization_id),
    'organization_id', v_organization_id, 'email', v_entry.email,
    'organization_name', (select name from public.organizations where id = v_organization_id));
end
$$;

-- COMMENT FUNCTION scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text, p_expected_version integer)
COMMENT ON FUNCTION public.scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text, p_expected_version integer) IS 'SCIM: creates (no id) or replaces a directory user as sent, linked by `p_email`, and makes the membership follow (see directory_sync_member). `p_expected_version`, when given, refuses a write over a change made since (`directory_user_changed`). A userName taken in the directory (case-insensitively) is a unique violation.';

-- ACL FUNCTION scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text, p_expected_version integer)
REVOKE ALL ON FUNCTION public.scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text, p_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text, p_expected_version integer) TO service_role;

-- FUNCTION set_directory_group_role(uuid, text, text)
CREATE FUNCTION public.set_directory_group_role(p_organization_id uuid, p_group text, p_role text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_group text := private.directory_group_name(p_group);
begin
  perform private.manage_directory(p_organization_id);
  if p_role is null then
    delete from public.directory_group_roles where organization_id = p_organization_id and lower(group_name) = lower(v_group);
  else
    insert into public.directory_group_roles (organization_id, group_name, role)
    values (p_organization_id, v_group, private.directory_grantable_role(p_organization_id, p_role))
    on conflict (organization_id, lower(group_name)) do update set role = excluded.role, group_name = excluded.group_name;
  end if;
  perform private.audit(p_organization_id, 'directory.group_role_set', null, null, null,
                        jsonb_build_object('group', v_group, 'role', p_role));
  perform private.directory_sync_members(array(
    select gm.user_id from public.directory_groups g join public.directory_group_members gm on gm.group_id = g.id
    where g.organization_id = p_organization_id and lower(g.display_name) = lower(v_group)));
  return jsonb_build_object('organization_id', p_organization_id, 'group', v_group, 'role', p_role);
end
$$;

-- COMMENT FUNCTION set_directory_group_role(p_organization_id uuid, p_group text, p_role text)
COMMENT ON FUNCTION public.set_directory_group_role(p_organization_id uuid, p_group text, p_role text) IS 'Maps a directory group (by name, case-insensitively; it may not exist yet) to a role (never owner); `p_role` null removes the mapping. Its members get their new role at once.';

-- ACL FUNCTION set_directory_group_role(p_organization_id uuid, p_group text, p_role text)
REVOKE ALL ON FUNCTION public.set_directory_group_role(p_organization_id uuid, p_group text, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_directory_group_role(p_organization_id uuid, p_group text, p_role text) TO authenticated;

-- FUNCTION set_directory_settings(uuid, text, boolean)
CREATE FUNCTION public.set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_directory public.directories;
  v_previous text;
begin
  perform private.manage_directory(p_organization_id);
  select default_role into v_previous from public.directories where organization_id = p_organization_id for update;
  update public.directories
  set default_role = private.directory_grantable_role(p_organization_id, coalesce(p_default_role, default_role)),
      send_invitations = coalesce(p_send_invitations, send_invitations)
  where organization_id = p_organization_id returning * into v_directory;
  perform private.audit(p_organization_id, 'directory.settings_changed', null, null, null,
    jsonb_build_object('default_role', v_directory.default_role, 'send_invitations', v_directory.send_invitations));
  if v_directory.default_role is distinct from v_previous then
    perform private.directory_sync_members(array(
      select id from public.directory_users where organization_id = p_organization_id and role = v_previous));
  end if;
  return jsonb_build_object('organization_id', p_organization_id, 'default_role', v_directory.default_role,
                            'send_invitations', v_directory.send_invitations);
end
$$;

-- COMMENT FUNCTION set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean)
COMMENT ON FUNCTION public.set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean) IS 'The role of directory users in no mapped group, and whether people the directory adds before they have an account are emailed an invitation (null keeps a setting). A new default role reaches those who held the old one at once.';

-- ACL FUNCTION set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean)
REVOKE ALL ON FUNCTION public.set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean) TO authenticated;

-- TABLE confirmed_emails
CREATE TABLE private.confirmed_emails (
    user_id uuid NOT NULL,
    email text NOT NULL,
    CONSTRAINT confirmed_emails_email_check CHECK ((email = lower(email)))
);

-- COMMENT TABLE confirmed_emails
COMMENT ON TABLE private.confirmed_emails IS 'Every confirmed email address (lower-cased) and its user, kept by the trigger on auth.users that watches confirmations: what a directory user is linked by (auth.users cannot be indexed by the project).';

-- TABLE directories
CREATE TABLE public.directories (
    organization_id uuid NOT NULL,
    default_role text DEFAULT 'viewer'::text NOT NULL,
    send_invitations boolean DEFAULT false NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE directories
COMMENT ON TABLE public.directories IS 'An organization''s directory sync (SCIM): on from its first token. `default_role` is what a directory user in no mapped group gets; `send_invitations` emails people the directory adds before they have an account.';

-- ACL TABLE directories
GRANT ALL ON TABLE public.directories TO service_role;
GRANT SELECT ON TABLE public.directories TO authenticated;

-- TABLE directory_group_members
CREATE TABLE public.directory_group_members (
    group_id uuid NOT NULL,
    user_id uuid NOT NULL
);

-- COMMENT TABLE directory_group_members
COMMENT ON TABLE public.directory_group_members IS 'Which directory users each directory group holds.';

-- ACL TABLE directory_group_members
GRANT SELECT ON TABLE public.directory_group_members TO authenticated;
GRANT ALL ON TABLE public.directory_group_members TO service_role;

-- TABLE directory_group_roles
CREATE TABLE public.directory_group_roles (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    group_name text NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT directory_group_roles_group_name_check CHECK (((char_length(group_name) >= 1) AND (char_length(group_name) <= 256)))
);

-- COMMENT TABLE directory_group_roles
COMMENT ON TABLE public.directory_group_roles IS 'Group-to-role mappings, by group name (case-insensitive), so a mapping may precede the group. Never owner.';

-- ACL TABLE directory_group_roles
GRANT ALL ON TABLE public.directory_group_roles TO service_role;
GRANT SELECT ON TABLE public.directory_group_roles TO authenticated;

-- TABLE directory_tokens
CREATE TABLE public.directory_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    token_hash text NOT NULL,
    hint text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT directory_tokens_token_hash_check CHECK ((token_hash ~ '^[0-9a-f]{64}$'::text))
);

-- COMMENT TABLE directory_tokens
COMMENT ON TABLE public.directory_tokens IS 'The bearer tokens an identity provider presents: only the SHA-256 of each is kept, with its last four characters to tell them apart. Several may work at once, so a rotation loses no call.';

-- ACL COLUMN directory_tokens.revoked_at
GRANT SELECT(revoked_at) ON TABLE public.directory_tokens TO authenticated;

-- ACL COLUMN directory_tokens.last_used_at
GRANT SELECT(last_used_at) ON TABLE public.directory_tokens TO authenticated;

-- ACL COLUMN directory_tokens.created_at
GRANT SELECT(created_at) ON TABLE public.directory_tokens TO authenticated;

-- ACL COLUMN directory_tokens.created_by
GRANT SELECT(created_by) ON TABLE public.directory_tokens TO authenticated;

-- ACL COLUMN directory_tokens.hint
GRANT SELECT(hint) ON TABLE public.directory_tokens TO authenticated;

-- ACL COLUMN directory_tokens.organization_id
GRANT SELECT(organization_id) ON TABLE public.directory_tokens TO authenticated;

-- ACL COLUMN directory_tokens.id
GRANT SELECT(id) ON TABLE public.directory_tokens TO authenticated;

-- ACL TABLE directory_tokens
GRANT ALL ON TABLE public.directory_tokens TO service_role;

-- CONSTRAINT confirmed_emails confirmed_emails_pkey
ALTER TABLE ONLY private.confirmed_emails
    ADD CONSTRAINT confirmed_emails_pkey PRIMARY KEY (user_id);

-- CONSTRAINT directories directories_pkey
ALTER TABLE ONLY public.directories
    ADD CONSTRAINT directories_pkey PRIMARY KEY (organization_id);

-- CONSTRAINT directory_group_members directory_group_members_pkey
ALTER TABLE ONLY public.directory_group_members
    ADD CONSTRAINT directory_group_members_pkey PRIMARY KEY (group_id, user_id);

-- CONSTRAINT directory_group_roles directory_group_roles_pkey
ALTER TABLE ONLY public.directory_group_roles
    ADD CONSTRAINT directory_group_roles_pkey PRIMARY KEY (id);

-- CONSTRAINT directory_groups directory_groups_pkey
ALTER TABLE ONLY public.directory_groups
    ADD CONSTRAINT directory_groups_pkey PRIMARY KEY (id);

-- CONSTRAINT directory_tokens directory_tokens_pkey
ALTER TABLE ONLY public.directory_tokens
    ADD CONSTRAINT directory_tokens_pkey PRIMARY KEY (id);

-- CONSTRAINT directory_tokens directory_tokens_token_hash_key
ALTER TABLE ONLY public.directory_tokens
    ADD CONSTRAINT directory_tokens_token_hash_key UNIQUE (token_hash);

-- CONSTRAINT directory_users directory_users_pkey
ALTER TABLE ONLY public.directory_users
    ADD CONSTRAINT directory_users_pkey PRIMARY KEY (id);

-- INDEX confirmed_emails_email_idx
CREATE INDEX confirmed_emails_email_idx ON private.confirmed_emails USING btree (email);

-- INDEX directory_group_members_user_idx
CREATE INDEX directory_group_members_user_idx ON public.directory_group_members USING btree (user_id);

-- INDEX directory_group_roles_key
CREATE UNIQUE INDEX directory_group_roles_key ON public.directory_group_roles USING btree (organization_id, lower(group_name));

-- INDEX directory_groups_export_idx
CREATE INDEX directory_groups_export_idx ON public.directory_groups USING btree (organization_id, id);

-- INDEX directory_groups_external_id_idx
CREATE INDEX directory_groups_external_id_idx ON public.directory_groups USING btree (organization_id, external_id);

-- INDEX directory_groups_name_key
CREATE UNIQUE INDEX directory_groups_name_key ON public.directory_groups USING btree (organization_id, lower(display_name));

-- INDEX directory_groups_page_idx
CREATE INDEX directory_groups_page_idx ON public.directory_groups USING btree (organization_id, created_at, id);

-- INDEX directory_tokens_organization_idx
CREATE INDEX directory_tokens_organization_idx ON public.directory_tokens USING btree (organization_id, created_at);

-- INDEX directory_users_email_idx
CREATE INDEX directory_users_email_idx ON public.directory_users USING btree (email) WHERE ((user_id IS NULL) AND active);

-- INDEX directory_users_export_idx
CREATE INDEX directory_users_export_idx ON public.directory_users USING btree (organization_id, id);

-- INDEX directory_users_external_id_idx
CREATE INDEX directory_users_external_id_idx ON public.directory_users USING btree (organization_id, external_id);

-- INDEX directory_users_member_key
CREATE UNIQUE INDEX directory_users_member_key ON public.directory_users USING btree (organization_id, user_id);

-- INDEX directory_users_page_idx
CREATE INDEX directory_users_page_idx ON public.directory_users USING btree (organization_id, created_at, id);

-- INDEX directory_users_user_idx
CREATE INDEX directory_users_user_idx ON public.directory_users USING btree (user_id);

-- INDEX directory_users_user_name_key
CREATE UNIQUE INDEX directory_users_user_name_key ON public.directory_users USING btree (organization_id, lower(user_name));

-- TRIGGER users complete_directory_memberships
CREATE TRIGGER complete_directory_memberships AFTER INSERT OR UPDATE OF email_confirmed_at, email ON auth.users FOR EACH ROW EXECUTE FUNCTION private.complete_directory_memberships();

-- TRIGGER directories touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.directories FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT confirmed_emails confirmed_emails_user_id_fkey
ALTER TABLE ONLY private.confirmed_emails
    ADD CONSTRAINT confirmed_emails_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- FK CONSTRAINT directories directories_created_by_fkey
ALTER TABLE ONLY public.directories
    ADD CONSTRAINT directories_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT directories directories_organization_id_fkey
ALTER TABLE ONLY public.directories
    ADD CONSTRAINT directories_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_group_members directory_group_members_group_id_fkey
ALTER TABLE ONLY public.directory_group_members
    ADD CONSTRAINT directory_group_members_group_id_fkey FOREIGN KEY (group_id) REFERENCES public.directory_groups(id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_group_members directory_group_members_user_id_fkey
ALTER TABLE ONLY public.directory_group_members
    ADD CONSTRAINT directory_group_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.directory_users(id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_group_roles directory_group_roles_organization_id_fkey
ALTER TABLE ONLY public.directory_group_roles
    ADD CONSTRAINT directory_group_roles_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.directories(organization_id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_groups directory_groups_organization_id_fkey
ALTER TABLE ONLY public.directory_groups
    ADD CONSTRAINT directory_groups_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.directories(organization_id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_tokens directory_tokens_created_by_fkey
ALTER TABLE ONLY public.directory_tokens
    ADD CONSTRAINT directory_tokens_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT directory_tokens directory_tokens_organization_id_fkey
ALTER TABLE ONLY public.directory_tokens
    ADD CONSTRAINT directory_tokens_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.directories(organization_id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_users directory_users_organization_id_fkey
ALTER TABLE ONLY public.directory_users
    ADD CONSTRAINT directory_users_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.directories(organization_id) ON DELETE CASCADE;

-- FK CONSTRAINT directory_users directory_users_user_id_fkey
ALTER TABLE ONLY public.directory_users
    ADD CONSTRAINT directory_users_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE SET NULL;

-- ROW SECURITY confirmed_emails
ALTER TABLE private.confirmed_emails ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY directories
ALTER TABLE public.directories ENABLE ROW LEVEL SECURITY;

-- POLICY directories directory managers read their directory
CREATE POLICY "directory managers read their directory" ON public.directories FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:directory:manage'::text) AS readable_organizations)::uuid[])));

-- POLICY directory_group_members directory managers read their directory
CREATE POLICY "directory managers read their directory" ON public.directory_group_members FOR SELECT TO authenticated USING ((EXISTS ( SELECT 1
   FROM public.directory_groups g
  WHERE ((g.id = directory_group_members.group_id) AND (g.organization_id = ANY (( SELECT private.readable_organizations('org:directory:manage'::text) AS readable_organizations)::uuid[]))))));

-- POLICY directory_group_roles directory managers read their directory
CREATE POLICY "directory managers read their directory" ON public.directory_group_roles FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:directory:manage'::text) AS readable_organizations)::uuid[])));

-- POLICY directory_groups directory managers read their directory
CREATE POLICY "directory managers read their directory" ON public.directory_groups FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:directory:manage'::text) AS readable_organizations)::uuid[])));

-- POLICY directory_tokens directory managers read their directory
CREATE POLICY "directory managers read their directory" ON public.directory_tokens FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:directory:manage'::text) AS readable_organizations)::uuid[])));

-- POLICY directory_users directory managers read their directory
CREATE POLICY "directory managers read their directory" ON public.directory_users FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:directory:manage'::text) AS readable_organizations)::uuid[])));

-- ROW SECURITY directory_group_members
ALTER TABLE public.directory_group_members ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY directory_group_roles
ALTER TABLE public.directory_group_roles ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY directory_groups
ALTER TABLE public.directory_groups ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY directory_tokens
ALTER TABLE public.directory_tokens ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY directory_users
ALTER TABLE public.directory_users ENABLE ROW LEVEL SECURITY;
