-- Directory settings without needless work (issue 32, found rereading the change): saving
-- the settings made every directory user's membership follow again — in a directory of
-- 10,000, seconds in one transaction holding each of them — even when only the
-- invitation-email setting changed. Now only a changed default role is followed, and only
-- by the people who had the old one (whoever is in no mapped group holds it).

create or replace function public.set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean)
returns jsonb language plpgsql security definer set search_path = '' as $$
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
comment on function public.set_directory_settings(uuid, text, boolean) is 'The role of directory users in no mapped group, and whether people the directory adds before they have an account are emailed an invitation (null keeps a setting). A new default role reaches those who held the old one at once.';
