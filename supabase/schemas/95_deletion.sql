-- Deletion: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION lock_organization_as_deleter(uuid)
CREATE FUNCTION private.lock_organization_as_deleter(p_organization_id uuid) RETURNS public.organizations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_permissions text[];
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for no key update;
  v_permissions := private.caller_permissions(p_organization_id);
  if v_organization.id is null or cardinality(v_permissions) = 0 then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  -- A member's session meets the MFA policy before anything else is said to it.
  perform private.require_mfa_met(p_organization_id);
  if not ('org:delete' = any (v_permissions)) then
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  return v_organization;
end
$$;

-- COMMENT FUNCTION lock_organization_as_deleter(p_organization_id uuid)
COMMENT ON FUNCTION private.lock_organization_as_deleter(p_organization_id uuid) IS 'An owner''s own check for what a scheduled organization still allows: their role holds `org:delete` (read from the tables directly, since authorize refuses everything there), their session meets the MFA policy, and the organization is locked.';

-- ACL FUNCTION lock_organization_as_deleter(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.lock_organization_as_deleter(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION organization_usable(uuid)
CREATE FUNCTION private.organization_usable(p_organization_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return coalesce((select o.status <> 'deletion_scheduled' from public.organizations o where o.id = p_organization_id), true);
end
$$;

-- COMMENT FUNCTION organization_usable(p_organization_id uuid)
COMMENT ON FUNCTION private.organization_usable(p_organization_id uuid) IS 'Whether the organization may be used at all: it is not scheduled for deletion (one that does not exist has nothing scheduled).';

-- ACL FUNCTION organization_usable(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.organization_usable(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION purge_deleted_organizations(timestamp with time zone)
CREATE FUNCTION private.purge_deleted_organizations(p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_purged integer := 0;
begin
  for v_organization in select * from public.organizations
                        where status = 'deletion_scheduled' and purge_after <= p_now
                        order by purge_after for update skip locked loop
    insert into private.deleted_organizations
      (id, slug, name, signup_user_id, deletion_requested_by, deletion_requested_at)
    values (v_organization.id, v_organization.slug, v_organization.name, v_organization.signup_user_id,
            v_organization.deletion_requested_by, v_organization.deletion_requested_at);
    -- Members whose active organization it was get another of theirs, or none.
    update public.profiles p set organization_id = (
      select m.organization_id from public.organization_members m
      where m.user_id = p.id and m.organization_id <> v_organization.id order by m.created_at limit 1)
    where p.organization_id = v_organization.id;
    delete from public.organizations where id = v_organization.id;
    v_purged := v_purged + 1;
  end loop;
  return v_purged;
end
$$;

-- COMMENT FUNCTION purge_deleted_organizations(p_now timestamp with time zone)
COMMENT ON FUNCTION private.purge_deleted_organizations(p_now timestamp with time zone) IS 'Purges the organizations whose grace period is over at `p_now`: a tombstone each, then the organization''s row, which cascades to every table holding its rows. Returns how many were purged. Run daily by pg_cron; tests pass a later `p_now`.';

-- ACL FUNCTION purge_deleted_organizations(p_now timestamp with time zone)
REVOKE ALL ON FUNCTION private.purge_deleted_organizations(p_now timestamp with time zone) FROM PUBLIC;

-- FUNCTION cancel_organization_deletion(uuid)
CREATE FUNCTION public.cancel_organization_deletion(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations := private.lock_organization_as_deleter(p_organization_id);
begin
  if v_organization.status <> 'deletion_scheduled' then
    raise exception using errcode = 'PT409', message = 'deletion_not_scheduled', detail = 'nothing to cancel';
  end if;
  update public.organizations set
    status = status_before_deletion, status_before_deletion = null,
    deletion_requested_at = null, deletion_requested_by = null, purge_after = null
  where id = p_organization_id
  returning * into v_organization;
  perform private.audit(p_organization_id, 'organization.deletion_cancelled', null, null,
    jsonb_build_object('status', 'deletion_scheduled'), jsonb_build_object('status', v_organization.status));
  return jsonb_build_object('organization_id', p_organization_id, 'status', v_organization.status);
end
$$;

-- COMMENT FUNCTION cancel_organization_deletion(p_organization_id uuid)
COMMENT ON FUNCTION public.cancel_organization_deletion(p_organization_id uuid) IS 'Cancels a scheduled deletion before the purge: everything is as it was.';

-- ACL FUNCTION cancel_organization_deletion(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.cancel_organization_deletion(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.cancel_organization_deletion(p_organization_id uuid) TO authenticated;

-- FUNCTION request_organization_deletion(uuid, text)
CREATE FUNCTION public.request_organization_deletion(p_organization_id uuid, p_confirm_slug text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations := private.lock_organization_as_deleter(p_organization_id);
begin
  if p_confirm_slug is distinct from v_organization.slug then
    raise exception using errcode = '22023', message = 'confirmation_mismatch',
      detail = 'type the organization''s slug to confirm';
  end if;
  if v_organization.status <> 'deletion_scheduled' then
    update public.organizations set
      status_before_deletion = status, status = 'deletion_scheduled',
      deletion_requested_at = now(), deletion_requested_by = auth.uid(),
      purge_after = now() + make_interval(days => private.setting('deletion_grace_days', '30')::integer)
    where id = p_organization_id
    returning * into v_organization;
    perform private.audit(p_organization_id, 'organization.deletion_scheduled', null, null,
      jsonb_build_object('status', v_organization.status_before_deletion),
      jsonb_build_object('status', 'deletion_scheduled', 'purge_after', v_organization.purge_after));
  end if;
  return jsonb_build_object('organization_id', p_organization_id, 'status', v_organization.status,
                            'purge_after', v_organization.purge_after);
end
$$;

-- COMMENT FUNCTION request_organization_deletion(p_organization_id uuid, p_confirm_slug text)
COMMENT ON FUNCTION public.request_organization_deletion(p_organization_id uuid, p_confirm_slug text) IS 'Schedules the deletion: `p_confirm_slug` must be the organization''s slug. Again while scheduled: the same answer.';

-- ACL FUNCTION request_organization_deletion(p_organization_id uuid, p_confirm_slug text)
REVOKE ALL ON FUNCTION public.request_organization_deletion(p_organization_id uuid, p_confirm_slug text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.request_organization_deletion(p_organization_id uuid, p_confirm_slug text) TO authenticated;

-- TABLE deleted_organizations
CREATE TABLE private.deleted_organizations (
    id uuid NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    signup_user_id uuid,
    deletion_requested_by uuid,
    deletion_requested_at timestamp with time zone NOT NULL,
    purged_at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE deleted_organizations
COMMENT ON TABLE private.deleted_organizations IS 'Tombstones of purged organizations: id, slug, name, who scheduled the deletion, when, when it was purged. Also keeps a late signup webhook from making the user''s workspace again.';

-- CONSTRAINT deleted_organizations deleted_organizations_pkey
ALTER TABLE ONLY private.deleted_organizations
    ADD CONSTRAINT deleted_organizations_pkey PRIMARY KEY (id);
