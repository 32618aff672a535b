-- Directory sync, two answers mended (issue 32):
-- - directory_status asks caller_role first, so a session below the organization's MFA
--   policy is told `mfa_required` (and a scheduled organization `organization_deletion_scheduled`),
--   as by every other RPC, instead of `not_org_admin` (the MFA matrix found it);
-- - scim_save_user answers the organization's name, for the invitation email the
--   function sends when the organization asked for one.

create or replace function public.scim_save_user(p_token_hash text, p_id uuid, p_resource jsonb, p_email text,
                                                 p_expected_version integer default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
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
comment on function public.scim_save_user(text, uuid, jsonb, text, integer) is 'SCIM: creates (no id) or replaces a directory user as sent, linked by `p_email`, and makes the membership follow (see directory_sync_member). `p_expected_version`, when given, refuses a write over a change made since (`directory_user_changed`). A userName taken in the directory (case-insensitively) is a unique violation.';
revoke all on function public.scim_save_user(text, uuid, jsonb, text, integer) from public, anon, authenticated;
grant execute on function public.scim_save_user(text, uuid, jsonb, text, integer) to service_role;

create or replace function public.directory_status(p_organization_id uuid)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
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
comment on function public.directory_status(uuid) is 'For the Team page: whether directory sync is available and on, its settings, tokens (never the token), mappings, last use, what the directory did (counts) and the 100 people it changed last, each member, pending (no account yet) or suspended.';
revoke all on function public.directory_status(uuid) from public, anon;
grant execute on function public.directory_status(uuid) to authenticated;
