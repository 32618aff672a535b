-- Signup: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION await_signup_workspace()
CREATE FUNCTION private.await_signup_workspace() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  insert into private.signups_awaiting_workspace (user_id) values (new.id) on conflict (user_id) do nothing;
  return null;
end
$$;

-- COMMENT FUNCTION await_signup_workspace()
COMMENT ON FUNCTION private.await_signup_workspace() IS 'Notes a new user for the reconcile job (trigger on auth.users).';

-- ACL FUNCTION await_signup_workspace()
REVOKE ALL ON FUNCTION private.await_signup_workspace() FROM PUBLIC;

-- FUNCTION install_signup_webhook(text, text)
CREATE FUNCTION private.install_signup_webhook(p_functions_url text, p_secret text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_headers jsonb;
begin
  if p_functions_url !~ '^https?://' or coalesce(p_secret, '') = '' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'install_signup_webhook needs an http(s) functions URL and a non-empty secret';
  end if;
  v_headers := private.function_call_headers(p_secret);
  insert into private.signup_webhook (url, headers)
  values (rtrim(p_functions_url, '/') || '/on-signup-create-org', v_headers)
  on conflict (singleton) do update set url = excluded.url, headers = excluded.headers;
  -- The first installer's trigger, where this role may still drop it (the local stack,
  -- a project from before the change); elsewhere it is left, and says so.
  if exists (select 1 from pg_trigger where tgrelid = 'auth.users'::regclass
             and tgname = 'on_auth_user_created_create_org') then
    begin
      execute 'drop trigger on_auth_user_created_create_org on auth.users';
    exception when insufficient_privilege then
      raise warning 'the first signup webhook trigger (on_auth_user_created_create_org) is still on auth.users; delete it under Database → Webhooks, or each signup is sent twice (harmless: the function is idempotent)';
    end;
  end if;
  if not exists (select 1 from pg_trigger where tgrelid = 'auth.users'::regclass
                 and tgname = 'on_auth_user_created_send_signup_webhook') then
    execute 'create trigger on_auth_user_created_send_signup_webhook after insert on auth.users '
            'for each row execute function private.send_signup_webhook()';
  end if;
end
$$;

-- COMMENT FUNCTION install_signup_webhook(p_functions_url text, p_secret text)
COMMENT ON FUNCTION private.install_signup_webhook(p_functions_url text, p_secret text) IS 'A Supabase database webhook (supabase_functions.http_request, as the dashboard creates it) on auth.users INSERT. URL and secret differ per project, so they are arguments: select private.install_signup_webhook(''https://<ref>.supabase.co/functions/v1'', ''<secret>'');';

-- ACL FUNCTION install_signup_webhook(p_functions_url text, p_secret text)
REVOKE ALL ON FUNCTION private.install_signup_webhook(p_functions_url text, p_secret text) FROM PUBLIC;

-- TABLE organizations
CREATE TABLE public.organizations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    slug text NOT NULL,
    logo_url text,
    created_by uuid,
    signup_user_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    plan_id text DEFAULT 'free'::text NOT NULL,
    onboarding_completed_at timestamp with time zone,
    mfa_required boolean DEFAULT false NOT NULL,
    deletion_requested_at timestamp with time zone,
    deletion_requested_by uuid,
    purge_after timestamp with time zone,
    status_before_deletion text,
    CONSTRAINT organizations_deletion_check CHECK (((status = 'deletion_scheduled'::text) = ((purge_after IS NOT NULL) AND (status_before_deletion IS NOT NULL)))),
    CONSTRAINT organizations_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200))),
    CONSTRAINT organizations_slug_check CHECK (((char_length(slug) <= 63) AND (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'::text))),
    CONSTRAINT organizations_status_before_deletion_check CHECK ((status_before_deletion = ANY (ARRAY['pending-activation'::text, 'active'::text]))),
    CONSTRAINT organizations_status_check CHECK ((status = ANY (ARRAY['pending-activation'::text, 'active'::text, 'deletion_scheduled'::text])))
);

-- COMMENT TABLE organizations
COMMENT ON TABLE public.organizations IS 'Tenants: an organization made by a signup (its personal workspace), by a user, or by a platform admin; its plan, status (pending-activation, active, deletion_scheduled) and MFA policy.';

-- COMMENT COLUMN organizations.signup_user_id
COMMENT ON COLUMN public.organizations.signup_user_id IS 'The user whose signup created this organization. Unique: it is the idempotency key that makes a replayed or concurrent webhook find, not create, the organization.';

-- ACL TABLE organizations
GRANT SELECT ON TABLE public.organizations TO authenticated;
GRANT ALL ON TABLE public.organizations TO service_role;

-- FUNCTION schedule_if_cron(text, text, text)
CREATE FUNCTION private.schedule_if_cron(p_job text, p_schedule text, p_command text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  if exists (select 1 from pg_namespace where nspname = 'cron') then
    perform cron.schedule(p_job, p_schedule, p_command);
  end if;
end
$$;

-- COMMENT FUNCTION schedule_if_cron(p_job text, p_schedule text, p_command text)
COMMENT ON FUNCTION private.schedule_if_cron(p_job text, p_schedule text, p_command text) IS 'Scheduled jobs run with pg_cron where it is enabled (Supabase: Database → Extensions → pg_cron); the local stack provides the same cron.schedule(). Without it, nothing is scheduled and the migration still applies.';

-- ACL FUNCTION schedule_if_cron(p_job text, p_schedule text, p_command text)
REVOKE ALL ON FUNCTION private.schedule_if_cron(p_job text, p_schedule text, p_command text) FROM PUBLIC;

-- FUNCTION signup_clean_name(text)
CREATE FUNCTION private.signup_clean_name(p_raw text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  return nullif(rtrim(left(btrim(regexp_replace(p_raw,
    '[\u0001-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g')), 100), ' '), '');
end
$$;

-- COMMENT FUNCTION signup_clean_name(p_raw text)
COMMENT ON FUNCTION private.signup_clean_name(p_raw text) IS 'A name as a signup keeps it: whitespace and invisible separators collapsed to one space, trimmed, at most 100 characters; null when nothing is left.';

-- FUNCTION signup_full_name(jsonb, text)
CREATE FUNCTION private.signup_full_name(p_meta jsonb, p_email text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  return coalesce(
    case when jsonb_typeof(p_meta -> 'full_name') = 'string' then private.signup_clean_name(p_meta ->> 'full_name') end,
    case when jsonb_typeof(p_meta -> 'name') = 'string' then private.signup_clean_name(p_meta ->> 'name') end,
    private.signup_clean_name(split_part(nullif(btrim(p_email), ''), '@', 1)),
    'User');
end
$$;

-- FUNCTION signup_slug_base(text, text)
CREATE FUNCTION private.signup_slug_base(p_full_name text, p_email text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  return coalesce(
    nullif(private.signup_slugify(p_full_name, 40), ''),
    nullif(private.signup_slugify(split_part(nullif(btrim(p_email), ''), '@', 1), 40), ''),
    'workspace');
end
$$;

-- FUNCTION signup_slugify(text, integer)
CREATE FUNCTION private.signup_slugify(p_text text, p_max integer) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  return rtrim(left(btrim(regexp_replace(lower(p_text collate "C"), '[^a-z0-9]+', '-', 'g'), '-'), p_max), '-');
end
$$;

-- FUNCTION signup_wants_workspace(uuid, text)
CREATE FUNCTION private.signup_wants_workspace(p_user_id uuid, p_email text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
  return not exists (
      select 1 from public.onboarding_invites
      where email = lower(btrim(p_email)) and status = 'pending' and expires_at > now())
    and not exists (select 1 from public.directory_users
                    where email = lower(btrim(p_email)) and user_id is null and active)
    and not exists (select 1 from public.organization_members where user_id = p_user_id)
    and not exists (select 1 from private.deleted_organizations where signup_user_id = p_user_id);
end
$$;

-- COMMENT FUNCTION signup_wants_workspace(p_user_id uuid, p_email text)
COMMENT ON FUNCTION private.signup_wants_workspace(p_user_id uuid, p_email text) IS 'A purged signup workspace is not made again by a late webhook delivery.';

-- FUNCTION create_signup_org(uuid, text, text, text, text)
CREATE FUNCTION public.create_signup_org(p_user_id uuid, p_email text, p_full_name text, p_organization_name text, p_slug_base text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  max_slug_attempts constant integer := 10;
  v_organization_id uuid;
  v_slug text;
  v_membership_id uuid;
  v_created boolean := false;
begin
  if p_slug_base is null or char_length(p_slug_base) > 40 or p_slug_base !~ '^[a-z0-9]+(-[a-z0-9]+)*$' then
    raise exception using errcode = '22023', message = 'invalid_slug_base',
      detail = 'slug base must be 1-40 characters of [a-z0-9-]';
  end if;

  -- Proves the user exists, keeps it from being deleted under us, and serialises
  -- deliveries for the same user; the unique keys below remain the guarantee.
  perform 1 from auth.users where id = p_user_id for key share;
  if not found then
    raise exception using errcode = 'P0002', message = 'user_not_found',
      detail = format('user %s does not exist', p_user_id);
  end if;
  perform pg_advisory_xact_lock(hashtextextended('create_signup_org:' || p_user_id::text, 0));

  insert into public.profiles (id, email, full_name)
  values (p_user_id, p_email, p_full_name)
  on conflict (id) do nothing;

  select id, slug into v_organization_id, v_slug
  from public.organizations where signup_user_id = p_user_id;

  if v_organization_id is null and not private.signup_wants_workspace(p_user_id, p_email) then
    return jsonb_build_object(
      'user_id', p_user_id, 'profile_id', p_user_id, 'organization_id', null,
      'organization_slug', null, 'membership_id', null, 'created', false,
      'workspace', 'skipped');
  end if;

  if v_organization_id is null then
    for attempt in 1..max_slug_attempts loop
      v_slug := case
        when attempt = 1 then p_slug_base
        else p_slug_base || '-' || left(replace(gen_random_uuid()::text, '-', ''), 6)
      end;
      -- No conflict target: a taken slug and a concurrent delivery for the same user both
      -- answer no row, without the subtransaction an exception block costs; the signup
      -- user's own row says which it was.
      insert into public.organizations (name, slug, created_by, signup_user_id)
      values (p_organization_name, v_slug, p_user_id, p_user_id)
      on conflict do nothing
      returning id into v_organization_id;
      if v_organization_id is not null then
        v_created := true;
        exit;
      end if;
      select id, slug into v_organization_id, v_slug
      from public.organizations where signup_user_id = p_user_id;
      exit when v_organization_id is not null;
    end loop;
    if v_organization_id is null then
      raise exception using errcode = '23505', message = 'slug_exhausted',
        detail = format('no free slug for "%s" after %s attempts', p_slug_base, max_slug_attempts);
    end if;
  end if;

  insert into public.organization_members (organization_id, user_id, role)
  values (v_organization_id, p_user_id, 'owner')
  on conflict (organization_id, user_id) do nothing
  returning id into v_membership_id;
  if v_membership_id is null then
    select id into v_membership_id from public.organization_members
    where organization_id = v_organization_id and user_id = p_user_id;
  end if;

  return jsonb_build_object(
    'user_id', p_user_id,
    'profile_id', p_user_id,
    'organization_id', v_organization_id,
    'organization_slug', v_slug,
    'membership_id', v_membership_id,
    'created', v_created,
    'workspace', 'personal'
  );
end
$_$;

-- ACL FUNCTION create_signup_org(p_user_id uuid, p_email text, p_full_name text, p_organization_name text, p_slug_base text)
REVOKE ALL ON FUNCTION public.create_signup_org(p_user_id uuid, p_email text, p_full_name text, p_organization_name text, p_slug_base text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_signup_org(p_user_id uuid, p_email text, p_full_name text, p_organization_name text, p_slug_base text) TO service_role;

-- FUNCTION create_signup_workspace(uuid, text, jsonb)
CREATE FUNCTION public.create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_email text := nullif(btrim(p_email), '');
  v_metadata jsonb := case when jsonb_typeof(p_metadata) = 'object' then p_metadata else '{}' end;
  v_full_name text := private.signup_full_name(v_metadata, v_email);
begin
  return public.create_signup_org(p_user_id, v_email, v_full_name, v_full_name || '''s Workspace',
                                  private.signup_slug_base(v_full_name, v_email));
end
$$;

-- COMMENT FUNCTION create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb)
COMMENT ON FUNCTION public.create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb) IS 'A new user''s workspace from the webhook''s record: the name from `full_name`, else `name` in the user''s metadata, else the email''s local part, else "User"; the workspace "<name>''s Workspace"; the slug from the name, else the email, else "workspace" (made unique by create_signup_org). Idempotent, as create_signup_org is.';

-- ACL FUNCTION create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb)
REVOKE ALL ON FUNCTION public.create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb) TO service_role;

-- FUNCTION reconcile_signups(interval, integer)
CREATE FUNCTION public.reconcile_signups(p_older_than interval DEFAULT '00:01:00'::interval, p_limit integer DEFAULT 500) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  missing record;
  v_window_end timestamptz := now() - p_older_than;
  v_without_profile integer;
  v_repaired uuid[] := '{}';
begin
  -- Those whose workspace came (by the webhook, or a run before this one) are done with.
  delete from private.signups_awaiting_workspace a
  where exists (select 1 from public.profiles p where p.id = a.user_id);
  select count(*) into v_without_profile
  from private.signups_awaiting_workspace a join auth.users u on u.id = a.user_id
  where u.created_at < v_window_end;
  for missing in
    select u.id, u.email, u.raw_user_meta_data
    from private.signups_awaiting_workspace a join auth.users u on u.id = a.user_id
    where u.created_at < v_window_end
    order by u.created_at
    limit p_limit
  loop
    perform public.create_signup_workspace(missing.id, missing.email, missing.raw_user_meta_data);
    delete from private.signups_awaiting_workspace where user_id = missing.id;
    v_repaired := v_repaired || missing.id;
  end loop;
  insert into private.reconcile_runs (window_end, users_without_profile, repaired_user_ids)
  values (v_window_end, v_without_profile, v_repaired);
  raise log 'reconcile_signups: %', json_build_object(
    'window_end', v_window_end, 'users_without_profile', v_without_profile,
    'repaired', cardinality(v_repaired), 'repaired_user_ids', v_repaired);
  return cardinality(v_repaired);
end
$$;

-- COMMENT FUNCTION reconcile_signups(p_older_than interval, p_limit integer)
COMMENT ON FUNCTION public.reconcile_signups(p_older_than interval, p_limit integer) IS 'The reconcile job: for users older than `p_older_than` who still have no profile (a lost webhook), makes what is missing through create_signup_workspace, at most `p_limit` a run; each run is recorded in private.reconcile_runs. It looks only at private.signups_awaiting_workspace, so a run costs the recent signups, not every user. Scheduled every minute by pg_cron.';

-- ACL FUNCTION reconcile_signups(p_older_than interval, p_limit integer)
REVOKE ALL ON FUNCTION public.reconcile_signups(p_older_than interval, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reconcile_signups(p_older_than interval, p_limit integer) TO service_role;

-- TABLE reconcile_runs
CREATE TABLE private.reconcile_runs (
    id bigint NOT NULL,
    ran_at timestamp with time zone DEFAULT now() NOT NULL,
    window_end timestamp with time zone NOT NULL,
    users_without_profile integer NOT NULL,
    repaired_user_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL
);

-- COMMENT TABLE reconcile_runs
COMMENT ON TABLE private.reconcile_runs IS 'One row per run of public.reconcile_signups(): what it looked at and which users it repaired.';

-- COMMENT COLUMN reconcile_runs.window_end
COMMENT ON COLUMN private.reconcile_runs.window_end IS 'Users created before this instant were looked at: those younger are the webhook''s.';

-- SEQUENCE reconcile_runs_id_seq
ALTER TABLE private.reconcile_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME private.reconcile_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- TABLE signups_awaiting_workspace
CREATE TABLE private.signups_awaiting_workspace (
    user_id uuid NOT NULL
);

-- COMMENT TABLE signups_awaiting_workspace
COMMENT ON TABLE private.signups_awaiting_workspace IS 'Users whose signup has not been seen to make a profile yet: noted at insert into auth.users, forgotten by the reconcile job once the profile exists. What the job looks at, so that it costs the signups of the last minutes, not every user there is.';

-- TABLE organization_members
CREATE TABLE public.organization_members (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text DEFAULT 'viewer'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE organization_members
COMMENT ON TABLE public.organization_members IS 'Who belongs to an organization, with which role (a system role or one of its custom roles). Never zero owners: a trigger refuses any change that would leave none.';

-- ACL TABLE organization_members
GRANT SELECT ON TABLE public.organization_members TO authenticated;
GRANT ALL ON TABLE public.organization_members TO service_role;

-- TABLE profiles
CREATE TABLE public.profiles (
    id uuid NOT NULL,
    email text,
    full_name text NOT NULL,
    avatar_url text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    organization_id uuid,
    CONSTRAINT profiles_full_name_check CHECK (((char_length(full_name) >= 1) AND (char_length(full_name) <= 100)))
);

-- COMMENT TABLE profiles
COMMENT ON TABLE public.profiles IS 'One per user, made at signup: email, full name, avatar, and the active organization (the one the access token hook puts in the JWT).';

-- ACL COLUMN profiles.avatar_url
GRANT UPDATE(avatar_url) ON TABLE public.profiles TO authenticated;

-- ACL COLUMN profiles.full_name
GRANT UPDATE(full_name) ON TABLE public.profiles TO authenticated;

-- ACL TABLE profiles
GRANT SELECT ON TABLE public.profiles TO authenticated;
GRANT ALL ON TABLE public.profiles TO service_role;

-- CONSTRAINT reconcile_runs reconcile_runs_pkey
ALTER TABLE ONLY private.reconcile_runs
    ADD CONSTRAINT reconcile_runs_pkey PRIMARY KEY (id);

-- CONSTRAINT signups_awaiting_workspace signups_awaiting_workspace_pkey
ALTER TABLE ONLY private.signups_awaiting_workspace
    ADD CONSTRAINT signups_awaiting_workspace_pkey PRIMARY KEY (user_id);

-- CONSTRAINT organization_members organization_members_organization_id_user_id_key
ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_organization_id_user_id_key UNIQUE (organization_id, user_id);

-- CONSTRAINT organization_members organization_members_pkey
ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_pkey PRIMARY KEY (id);

-- CONSTRAINT organizations organizations_pkey
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_pkey PRIMARY KEY (id);

-- CONSTRAINT organizations organizations_signup_user_id_key
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_signup_user_id_key UNIQUE (signup_user_id);

-- CONSTRAINT organizations organizations_slug_key
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_slug_key UNIQUE (slug);

-- CONSTRAINT profiles profiles_pkey
ALTER TABLE ONLY public.profiles
    ADD CONSTRAINT profiles_pkey PRIMARY KEY (id);

-- INDEX organization_members_user_id_idx
CREATE INDEX organization_members_user_id_idx ON public.organization_members USING btree (user_id);

-- INDEX organizations_purge_idx
CREATE INDEX organizations_purge_idx ON public.organizations USING btree (purge_after) WHERE (status = 'deletion_scheduled'::text);

-- INDEX profiles_organization_idx
CREATE INDEX profiles_organization_idx ON public.profiles USING btree (organization_id) WHERE (organization_id IS NOT NULL);

-- TRIGGER users on_auth_user_created_await_workspace
CREATE TRIGGER on_auth_user_created_await_workspace AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION private.await_signup_workspace();

-- TRIGGER organization_members touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.organization_members FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- TRIGGER organizations touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.organizations FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- TRIGGER profiles touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT signups_awaiting_workspace signups_awaiting_workspace_user_id_fkey
ALTER TABLE ONLY private.signups_awaiting_workspace
    ADD CONSTRAINT signups_awaiting_workspace_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_members organization_members_organization_id_fkey
ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_members organization_members_user_id_fkey
ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- FK CONSTRAINT organizations organizations_created_by_fkey
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT organizations organizations_deletion_requested_by_fkey
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_deletion_requested_by_fkey FOREIGN KEY (deletion_requested_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT organizations organizations_signup_user_id_fkey
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_signup_user_id_fkey FOREIGN KEY (signup_user_id) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT profiles profiles_id_fkey
ALTER TABLE ONLY public.profiles
    ADD CONSTRAINT profiles_id_fkey FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- FK CONSTRAINT profiles profiles_organization_id_fkey
ALTER TABLE ONLY public.profiles
    ADD CONSTRAINT profiles_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE SET NULL;

-- ROW SECURITY reconcile_runs
ALTER TABLE private.reconcile_runs ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY signups_awaiting_workspace
ALTER TABLE private.signups_awaiting_workspace ENABLE ROW LEVEL SECURITY;

-- POLICY organization_members member readers and platform admins read memberships
CREATE POLICY "member readers and platform admins read memberships" ON public.organization_members FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:members:read'::text) AS readable_organizations)::uuid[])));

-- POLICY organizations members and platform admins read organizations
CREATE POLICY "members and platform admins read organizations" ON public.organizations FOR SELECT TO authenticated USING ((id = ANY (( SELECT private.readable_organizations() AS readable_organizations)::uuid[])));

-- ROW SECURITY organization_members
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY organizations
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY profiles
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;

-- POLICY profiles read own profile
CREATE POLICY "read own profile" ON public.profiles FOR SELECT TO authenticated USING ((id = ( SELECT auth.uid() AS uid)));

-- POLICY profiles update own profile
CREATE POLICY "update own profile" ON public.profiles FOR UPDATE TO authenticated USING ((id = ( SELECT auth.uid() AS uid))) WITH CHECK ((id = ( SELECT auth.uid() AS uid)));

-- ACL SCHEMA public
GRANT USAGE ON SCHEMA public TO anon;
GRANT USAGE ON SCHEMA public TO authenticated;
GRANT USAGE ON SCHEMA public TO service_role;
GRANT USAGE ON SCHEMA public TO supabase_auth_admin;
