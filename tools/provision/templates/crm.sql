-- The seed's application template ("crm"): 21 tables, 25 policies, 17 indexes, applied
-- after migrations/ on a client's new project. Where it overlaps the product's own
-- tables it extends them instead of defining them twice: `organizations` is the
-- product's (this template adds its columns and policies); its `users` are the
-- organization's application users, linked to auth.users. Membership checks use the
-- product's private.member_organization_ids().

-- organizations (the product's table, extended) -----------------------------------------------
alter table public.organizations
  add column if not exists tier text not null default 'starter',
  add column if not exists settings jsonb not null default '{}'::jsonb;

create or replace function private.organization_role(p_organization_id uuid) returns text
language sql stable security definer set search_path = '' as $$
  select role from public.organization_members
  where organization_id = p_organization_id and user_id = (select auth.uid())
$$;
revoke execute on function private.organization_role(uuid) from public;
grant execute on function private.organization_role(uuid) to authenticated;

-- users ---------------------------------------------------------------------------------------
create table public.users (
  id uuid primary key default gen_random_uuid(),
  auth_user_id uuid unique references auth.users (id) on delete set null,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null,
  full_name text,
  role text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.users enable row level security;
create policy "crm: members read their organization's users" on public.users
  for select to authenticated using (organization_id in (select private.member_organization_ids()));
create policy "crm: admins add users" on public.users
  for insert to authenticated
  with check ((select private.organization_role(organization_id)) in ('owner', 'admin'));
create policy "crm: users update themselves" on public.users
  for update to authenticated
  using (auth_user_id = (select auth.uid())) with check (auth_user_id = (select auth.uid()));

-- Three policies on organizations, beside the product's own (members and platform
-- admins read): the template's application users read theirs; owners and admins edit;
-- owners delete.
grant update (name, logo_url, settings) on public.organizations to authenticated;
grant delete on public.organizations to authenticated;
create policy "crm: application users read their organization" on public.organizations
  for select to authenticated
  using (id in (select organization_id from public.users where auth_user_id = (select auth.uid())));
create policy "crm: owners and admins update their organization" on public.organizations
  for update to authenticated
  using ((select private.organization_role(id)) in ('owner', 'admin'))
  with check ((select private.organization_role(id)) in ('owner', 'admin'));
create policy "crm: owners delete their organization" on public.organizations
  for delete to authenticated using ((select private.organization_role(id)) = 'owner');

-- The 15 organization-scoped tables: one policy each, members only -----------------------------
create table public.companies (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null, domain text, industry text,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.contacts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  company_id uuid references public.companies (id) on delete set null,
  email text, first_name text, last_name text, phone text,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.deals (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  contact_id uuid references public.contacts (id) on delete set null,
  company_id uuid references public.companies (id) on delete set null,
  title text not null, value numeric(14, 2), status text not null default 'open',
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.activities (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.users (id) on delete set null,
  deal_id uuid references public.deals (id) on delete cascade,
  kind text not null, notes text,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.email_templates (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null, subject text not null, body text not null,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.email_campaigns (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  template_id uuid references public.email_templates (id) on delete set null,
  name text not null, status text not null default 'draft', scheduled_at timestamptz,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.email_sequences (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null, steps jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.email_sends (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  campaign_id uuid references public.email_campaigns (id) on delete cascade,
  contact_id uuid references public.contacts (id) on delete set null,
  status text not null default 'queued', sent_at timestamptz,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.email_unsubscribes (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null, reason text,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.social_accounts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  platform text not null, handle text not null,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.social_posts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  account_id uuid references public.social_accounts (id) on delete cascade,
  content text not null, status text not null default 'draft', scheduled_at timestamptz,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.content_templates (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null, body text not null,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.content_queue (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  template_id uuid references public.content_templates (id) on delete set null,
  payload jsonb not null default '{}'::jsonb, status text not null default 'pending', scheduled_at timestamptz,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.users (id) on delete cascade,
  title text not null, body text, read boolean not null default false,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.audit_log (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  actor_id uuid references auth.users (id) on delete set null,
  action text not null, detail jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);

do $$
declare
  scoped text;
begin
  foreach scoped in array array['contacts', 'companies', 'deals', 'activities', 'email_campaigns',
    'email_templates', 'email_sequences', 'email_sends', 'email_unsubscribes', 'social_posts',
    'social_accounts', 'content_queue', 'content_templates', 'notifications', 'audit_log']
  loop
    execute format('alter table public.%I enable row level security', scoped);
    execute format(
      'create policy "crm: members only" on public.%I for all to authenticated '
      'using (organization_id in (select private.member_organization_ids())) '
      'with check (organization_id in (select private.member_organization_ids()))', scoped);
  end loop;
end
$$;

-- The 4 read-only tables: written by the service role, read by members (platform-wide
-- metrics by platform admins) ------------------------------------------------------------------
create table public.client_usage_metrics (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  metric text not null, value numeric not null, period_start date not null,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.subscription_history (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  plan text not null, status text not null, changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.analytics_snapshots (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  snapshot jsonb not null, taken_at timestamptz not null default now(),
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
create table public.platform_metrics (
  id uuid primary key default gen_random_uuid(),
  metric text not null, value numeric not null, recorded_at timestamptz not null default now(),
  created_at timestamptz not null default now(), updated_at timestamptz not null default now()
);
alter table public.client_usage_metrics enable row level security;
alter table public.subscription_history enable row level security;
alter table public.analytics_snapshots enable row level security;
alter table public.platform_metrics enable row level security;
create policy "crm: members read" on public.client_usage_metrics
  for select to authenticated using (organization_id in (select private.member_organization_ids()));
create policy "crm: members read" on public.subscription_history
  for select to authenticated using (organization_id in (select private.member_organization_ids()));
create policy "crm: members read" on public.analytics_snapshots
  for select to authenticated using (organization_id in (select private.member_organization_ids()));
create policy "crm: platform admins read" on public.platform_metrics
  for select to authenticated using ((select private.is_platform_admin()));

-- Grants: a new table in public gives the API roles nothing (hosted projects since October
-- 2026), so each table grants what its policies let through, to signed-in users only; the
-- service role (the operator's and the product's jobs) may write all of them. `anon`
-- gets nothing.
grant select, insert, update on public.users to authenticated;
grant select, insert, update, delete on public.companies, public.contacts, public.deals, public.activities,
  public.email_templates, public.email_campaigns, public.email_sequences, public.email_sends,
  public.email_unsubscribes, public.social_accounts, public.social_posts, public.content_templates,
  public.content_queue, public.notifications, public.audit_log to authenticated;
grant select on public.client_usage_metrics, public.subscription_history, public.analytics_snapshots,
  public.platform_metrics to authenticated;
grant select, insert, update, delete on public.users, public.companies, public.contacts, public.deals,
  public.activities, public.email_templates, public.email_campaigns, public.email_sequences,
  public.email_sends, public.email_unsubscribes, public.social_accounts, public.social_posts,
  public.content_templates, public.content_queue, public.notifications, public.audit_log,
  public.client_usage_metrics, public.subscription_history, public.analytics_snapshots,
  public.platform_metrics to service_role;

-- Timestamps ---------------------------------------------------------------------------------------
do $$
declare
  stamped text;
begin
  foreach stamped in array array['users', 'contacts', 'companies', 'deals', 'activities', 'email_campaigns',
    'email_templates', 'email_sequences', 'email_sends', 'email_unsubscribes', 'social_posts',
    'social_accounts', 'content_queue', 'content_templates', 'notifications', 'audit_log',
    'client_usage_metrics', 'subscription_history', 'analytics_snapshots', 'platform_metrics']
  loop
    execute format('create trigger touch_updated_at before update on public.%I '
                   'for each row execute function private.touch_updated_at()', stamped);
  end loop;
end
$$;

-- The 17 indexes ---------------------------------------------------------------------------------------
create index users_organization_id_idx on public.users (organization_id);
create index users_email_idx on public.users (email);
create index contacts_organization_id_idx on public.contacts (organization_id);
create index contacts_email_idx on public.contacts (email);
create index companies_organization_id_idx on public.companies (organization_id);
create index deals_organization_id_idx on public.deals (organization_id);
create index deals_status_idx on public.deals (status);
create index activities_organization_id_idx on public.activities (organization_id);
create index activities_user_id_idx on public.activities (user_id);
create index email_campaigns_organization_id_idx on public.email_campaigns (organization_id);
create index email_sends_campaign_id_idx on public.email_sends (campaign_id);
create index email_sends_status_idx on public.email_sends (status);
create index social_posts_organization_id_idx on public.social_posts (organization_id);
create index social_posts_scheduled_at_idx on public.social_posts (scheduled_at);
create index content_queue_scheduled_at_idx on public.content_queue (scheduled_at);
create index notifications_user_id_read_idx on public.notifications (user_id, read);
create index audit_log_organization_id_created_at_idx on public.audit_log (organization_id, created_at);
