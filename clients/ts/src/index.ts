// A typed client for the tenant-onboarding backend, over supabase-js: one method per
// function route and per RPC a frontend calls, typed inputs and results, and every error
// as one discriminated union of the documented codes — never a thrown exception.
//
//   const onboarding = createOnboardingClient(supabase);
//   const preview = await onboarding.validateInvite(token);
//   if (preview.error) showError(preview.error.code);   // "invite_expired" | "invite_revoked" | …
//
// The function types come from openapi/functions.json (src/functions.gen.ts), the
// database's from PostgREST's description of the schema (src/database.gen.ts).
import type { SupabaseClient } from "@supabase/supabase-js";
import type { components, paths } from "./functions.gen.ts";
import type { paths as rest } from "./database.gen.ts";

export type { components as FunctionSchemas } from "./functions.gen.ts";
export type { definitions as Tables } from "./database.gen.ts";

type Schemas = components["schemas"];

/** Every code a function route documents, per operation and status. */
type ErrorCodes<Operation> = Operation extends { responses: infer R }
  ? {
    [S in keyof R]: R[S] extends { content: { "application/json": { error: { code: infer C } } } } ? C : never;
  }[keyof R]
  : never;
type CodeOf<P extends keyof paths, M extends keyof paths[P]> = Extract<ErrorCodes<paths[P][M]>, string>;

/** A function route's refusal: its HTTP status and a documented code. */
export type FunctionError<Code extends string = string> = {
  kind: "function";
  status: number;
  code: Code;
  message: string;
  /** Seconds, with 429 `rate_limited`. */
  retryAfter?: number;
  /** The whole error body: some refusals carry what is still usable (send-invite-email's `invite.link`). */
  body?: Record<string, unknown>;
};

/** A refused RPC: PostgREST's shape, `code` the stable code the SQL raises. */
export type RpcError = {
  kind: "rpc";
  status: number;
  code: RpcErrorCode;
  message: string;
  details: string | null;
  hint: string | null;
};

/** Nothing came back (offline, DNS, CORS): worth a retry. */
export type NetworkError = { kind: "network"; code: "network_error"; message: string };

export type OnboardingError<Code extends string = string> = FunctionError<Code> | RpcError | NetworkError;

export type Result<T, Code extends string = string> =
  | { data: T; error: null }
  | { data: null; error: OnboardingError<Code> };

/** The stable codes the RPCs raise (README, "Adding a function, an RPC, an error code"). */
export type RpcErrorCode =
  | "already_member" | "cannot_remove_self" | "domain_limit_reached" | "domain_not_allowed" | "domain_not_found"
  | "domain_not_saved" | "domain_not_verified" | "domain_taken" | "email_not_confirmed"
  | "endpoint_not_found" | "feature_not_enabled" | "invalid_accent_color" | "invalid_address"
  | "invalid_arguments" | "invalid_ats_api_key" | "invalid_ats_provider" | "invalid_billing_email"
  | "invalid_completed" | "invalid_country" | "invalid_data_region" | "invalid_description"
  | "invalid_dpa_version" | "invalid_email" | "invalid_enrollment_mode" | "invalid_events" | "invalid_feature_overrides"
  | "invalid_hostname" | "invalid_industry" | "invalid_integrations" | "invalid_legal_name"
  | "invalid_logo_url" | "invalid_max_uses" | "invalid_name" | "invalid_phase" | "invalid_phase_data" | "invalid_plan"
  | "invalid_primary_color" | "invalid_role" | "invalid_sender_name" | "invalid_size_band" | "invalid_slug"
  | "invalid_tax_id" | "invalid_time_zone" | "invalid_ttl" | "invalid_url" | "invalid_webhook_urls"
  | "invite_already_accepted" | "invite_link_not_found" | "invite_not_found" | "invite_not_pending"
  | "invite_wrong_user" | "join_not_available" | "join_request_denied" | "join_request_not_pending"
  | "last_owner" | "member_limit_reached" | "member_not_found" | "message_not_found" | "not_member"
  | "not_org_admin" | "not_owner" | "not_platform_admin" | "not_signed_in" | "not_tenant_admin"
  | "onboarding_incomplete" | "organization_not_found" | "phase_not_available" | "rate_limited"
  | "request_not_found" | "role_too_high" | "slug_taken" | "unknown_field"
  | "confirmation_mismatch" | "deletion_not_scheduled" | "invalid_permissions" | "invalid_role_key" | "invalid_section"
  | "mfa_required" | "organization_deletion_scheduled" | "permission_denied" | "permission_too_high" | "role_in_use"
  | "role_key_taken" | "role_limit_reached" | "role_not_found" | "unknown_permission"
  /** PostgREST's own, e.g. a JWT it refuses or a permission the role lacks. */
  | `PGRST${string}` | "42501";

export type Role = "owner" | "admin" | "recruiter" | "viewer";
export type PhaseKey =
  | "organization-setup" | "domain-verification" | "brand-identity" | "billing" | "team" | "integrations" | "privacy";

export type Phase = {
  key: PhaseKey;
  title: string;
  done: boolean;
  saved_at: string | null;
  saved_by: string | null;
  data: Record<string, unknown> | null;
};
export type Onboarding = {
  organization_id: string;
  name: string;
  status: "pending-activation" | "active";
  plan: string;
  features: string[];
  onboarding_completed_at: string | null;
  phases: Phase[];
};
export type DomainCheck = {
  hostname: string;
  status: "checking" | "verified" | "not_found" | "lookup_failed";
  verified: boolean;
  verified_at?: string | null;
  txt_record?: { type: "TXT"; name: string; value: string };
};
/** How users at a verified domain come in. */
export type EnrollmentMode = "manual" | "automatic_invitation" | "automatic_suggestion";
export type Domain = {
  id: string;
  organization_id: string;
  hostname: string;
  status: "unverified" | "checking" | "verified" | "not_found" | "lookup_failed";
  verified: boolean;
  verified_at: string | null;
  checked_at: string | null;
  enrollment_mode: EnrollmentMode;
  default_role: Exclude<Role, "owner">;
  /** The record to publish: `TXT <name> "<value>"`. */
  txt_record: { type: "TXT"; name: string; value: string };
};
export type InviteLink = {
  id: string;
  organization_id: string;
  role: Exclude<Role, "owner">;
  max_uses: number | null;
  uses: number;
  uses_left: number | null;
  expires_at: string;
  allowed_domain: string | null;
  revoked_at: string | null;
  created_at: string;
  status: "active" | "expired" | "revoked" | "used_up";
};
export type DirectoryToken = {
  id: string;
  /** The token's last four characters, to tell tokens apart. */
  hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
export type DirectoryPerson = {
  id: string;
  user_name: string;
  email: string | null;
  user_id: string | null;
  role: string | null;
  /** member: linked and active; pending: no account at that address yet; suspended: `active: false`. */
  state: "member" | "pending" | "suspended";
  updated_at: string;
};
export type DirectoryStatus = {
  organization_id: string;
  /** The plan (or an override) has directory-sync. */
  available: boolean;
  /** A token works. */
  enabled: boolean;
  default_role: string;
  send_invitations: boolean;
  last_used_at: string | null;
  last_change_at: string | null;
  tokens: DirectoryToken[];
  mappings: { group: string; role: string }[];
  counts: { users: number; members: number; pending: number; suspended: number; groups: number; provisioned: number; deprovisioned: number };
  people: DirectoryPerson[];
};
export type JoinRequest = {
  id: string;
  organization_id: string;
  organization_name: string;
  user_id: string;
  email: string;
  full_name: string | null;
  status: "pending" | "approved" | "denied";
  role: Role | null;
  created_at: string;
  decided_at: string | null;
};
/** A key of the permission catalogue (`public.permissions`). */
export type Permission =
  | "org:members:read" | "org:members:invite" | "org:members:manage" | "org:roles:manage" | "org:settings:manage"
  | "org:billing:manage" | "org:domains:manage" | "org:webhooks:manage" | "org:audit:read" | "tenant_users:manage"
  | "org:directory:manage" | "org:activate" | "org:ownership:transfer" | "org:delete";
export type OrganizationRole = { id: string; organization_id: string | null; key: string; name: string; permissions: Permission[]; system: boolean };
export type MyOrganization = {
  organization_id: string;
  name: string;
  slug: string;
  status: "pending-activation" | "active" | "deletion_scheduled";
  role: string;
  permissions: Permission[];
  mfa_required: boolean;
  /** False while the organization requires MFA and this session is below `aal2`. */
  mfa_satisfied: boolean;
  purge_after: string | null;
};
export type Member = {
  user_id: string; email: string; full_name: string | null; role: Role; joined_at: string;
  /** Where this member is in the list's order: pass it as `after` for the next page. */
  cursor: string;
};
/** A page of the members: at most `limit` (1-1000, default 100) after `after`; or only `userIds`. */
export type MembersPage = { after?: string; limit?: number; userIds?: string[] };
export type WebhookEventType =
  | "organization.activated" | "invite.created" | "invite.accepted" | "invite.revoked" | "invite.declined"
  | "member.added" | "member.removed" | "member.role_changed" | "ownership.transferred"
  | "member.join_requested" | "member.join_request_denied" | "domain.verified" | "domain.removed"
  | "organization.deletion_scheduled" | "organization.deletion_cancelled"
  | "tenant_user.onboarding.completed" | "tenant_user.onboarding.failed";

type RpcArgs<Name extends string> = `/rpc/${Name}` extends keyof rest
  ? rest[`/rpc/${Name}`] extends { post: { parameters: { body: { args: infer A } } } } ? A : never
  : never;

export type OnboardingClientOptions = {
  /** Where the functions are; by default the project's `/functions/v1`. */
  functionsUrl?: string;
};

/** How a server-to-server caller presents itself: its own shared secret or a legacy
 * service-role JWT as the bearer token, a secret key (`sb_secret_…`) in `apikey` (it is
 * not a JWT: Supabase's gateway refuses it as a bearer token). */
type Credential = { bearer: string } | { apikey: string };
const serverKey = (key: string): Credential => (key.startsWith("sb_") ? { apikey: key } : { bearer: key });

export function createOnboardingClient(supabase: SupabaseClient, options: OnboardingClientOptions = {}) {
  // supabase-js keeps its URL and key on the client; the functions live under its URL.
  const internal = supabase as unknown as { supabaseUrl: string; supabaseKey: string };
  const functionsUrl = options.functionsUrl ?? `${internal.supabaseUrl.replace(/\/$/, "")}/functions/v1`;

  async function bearer(): Promise<string> {
    const { data } = await supabase.auth.getSession();
    return data.session?.access_token ?? internal.supabaseKey;
  }

  async function call<T, Code extends string>(
    method: "GET" | "POST",
    route: string,
    body?: unknown,
    credential?: Credential,
  ): Promise<Result<T, Code>> {
    let response: Response;
    try {
      const presented = credential ?? { bearer: await bearer() };
      response = await fetch(`${functionsUrl}/${route}`, {
        method,
        headers: {
          ...("bearer" in presented ? { authorization: `Bearer ${presented.bearer}` } : {}),
          apikey: "apikey" in presented ? presented.apikey : internal.supabaseKey,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      return { data: null, error: { kind: "network", code: "network_error", message: String(error) } };
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch { /* not JSON: reported below */ }
    if (response.ok) return { data: json as T, error: null };
    const error = (json as { error?: { code?: string; message?: string; retry_after?: number } } | null)?.error;
    return {
      data: null,
      error: {
        kind: "function",
        status: response.status,
        code: (error?.code ?? "internal_error") as Code,
        message: error?.message ?? `the function answered ${response.status}`,
        retryAfter: error?.retry_after,
        body: (json ?? undefined) as Record<string, unknown> | undefined,
      },
    };
  }

  async function rpc<T>(name: string, args: object): Promise<Result<T>> {
    try {
      const { data, error, status } = await supabase.rpc(name, args);
      if (!error) return { data: data as T, error: null };
      return {
        data: null,
        error: {
          kind: "rpc",
          status,
          code: (error.message || error.code) as RpcErrorCode,
          message: error.details || error.message,
          details: error.details ?? null,
          hint: error.hint ?? null,
        },
      };
    } catch (error) {
      return { data: null, error: { kind: "network", code: "network_error", message: String(error) } };
    }
  }

  return {
    // Function routes -----------------------------------------------------------------------
    sendInviteEmail: (inviteId: string) =>
      call<Schemas["InviteSent"], CodeOf<"/send-invite-email", "post">>("POST", "send-invite-email", {
        invite_id: inviteId,
      }),
    validateInvite: (token: string) =>
      call<Schemas["InvitePreview"], CodeOf<"/validate-invite", "post">>("POST", "validate-invite", { token }),
    /** An email invitation's or a shareable link's token. */
    acceptInvite: (token: string) =>
      call<Schemas["Accepted"], CodeOf<"/accept-invite", "post">>("POST", "accept-invite", { token }),
    /** One of the caller's own pending invites from `myInvites()` (a verified domain's is never emailed). */
    acceptInviteById: (inviteId: string) =>
      call<Schemas["Accepted"], CodeOf<"/accept-invite", "post">>("POST", "accept-invite", { invite_id: inviteId }),
    /** Everything the organization holds, as one JSON document (streamed by the function). */
    exportOrganization: (organizationId: string) =>
      call<Schemas["OrganizationExport"], CodeOf<"/export-organization", "post">>("POST", "export-organization", {
        organization_id: organizationId,
      }),
    requestUserOnboarding: (request: Schemas["OnboardingRequest"]) =>
      call<Schemas["Queued"], CodeOf<"/user-onboarding/request", "post">>("POST", "user-onboarding/request", request),

    // Server-to-server routes, each with its own credential (never in a browser) ------------
    /** What Make's scenario sends, with `MAKE_ONBOARDING_CALLBACK_TOKEN`. */
    userOnboardingCallback: (callbackToken: string, callback: Schemas["Callback"]) =>
      call<Schemas["CallbackResult"], CodeOf<"/user-onboarding/callback", "post">>(
        "POST", "user-onboarding/callback", callback, { bearer: callbackToken },
      ),
    /** What the database webhook sends on `auth.users` INSERT, with `ONBOARDING_WEBHOOK_SECRET`
     * (or, where none is set, the project's secret key). */
    onSignupCreateOrg: (webhookSecret: string, payload: Schemas["SignupWebhook"]) =>
      call<Schemas["SignupResult"], CodeOf<"/on-signup-create-org", "post">>(
        "POST", "on-signup-create-org", payload, serverKey(webhookSecret),
      ),
    /** pg_cron's calls, with the project's secret key (`sb_secret_…`; a legacy service-role
     * JWT while legacy keys are on). */
    dispatchUserOnboarding: (secretKey: string) =>
      call<Schemas["Dispatched"], CodeOf<"/user-onboarding/dispatch", "post">>(
        "POST", "user-onboarding/dispatch", undefined, serverKey(secretKey),
      ),
    deliverWebhooks: (secretKey: string) =>
      call<Schemas["WebhooksDelivered"], CodeOf<"/deliver-webhooks", "post">>(
        "POST", "deliver-webhooks", undefined, serverKey(secretKey),
      ),

    // RPCs ------------------------------------------------------------------------------------
    adminCreateOrganization: (args: RpcArgs<"admin_create_organization">) =>
      rpc<{ organization_id: string; slug: string; status: string; plan: string; features: string[]; invite_id: string; email: string; expires_at: string }>(
        "admin_create_organization",
        args,
      ),
    revokeInvite: (inviteId: string) => rpc<{ invite_id: string; status: string }>("revoke_invite", { p_invite_id: inviteId }),
    createOrganization: (name: string, slug?: string) =>
      rpc<{ organization_id: string; slug: string; status: string; plan: string; role: Role }>("create_organization", {
        p_name: name,
        p_slug: slug ?? null,
      }),
    inviteMember: (organizationId: string, email: string, role: Role = "viewer") =>
      rpc<{ invite_id: string; existing: boolean; expires_at: string }>("invite_member", {
        p_organization_id: organizationId,
        p_email: email,
        p_role: role,
      }),
    myInvites: () =>
      rpc<{
        id: string;
        organization_id: string;
        organization_name: string;
        role: Role;
        invited_by: string | null;
        expires_at: string;
        /** An invitation by email, or one a verified domain made. */
        via: "email" | "domain";
        hostname: string | null;
      }[]>("my_invites", {}),
    declineInvite: (inviteId: string) => rpc<unknown>("decline_invite", { p_invite_id: inviteId }),
    listMembers: (organizationId: string, page: MembersPage = {}) =>
      rpc<Member[]>("list_members", {
        p_organization_id: organizationId,
        ...(page.after === undefined ? {} : { p_after: page.after }),
        ...(page.limit === undefined ? {} : { p_limit: page.limit }),
        ...(page.userIds === undefined ? {} : { p_user_ids: page.userIds }),
      }),
    changeMemberRole: (organizationId: string, userId: string, role: Role) =>
      rpc<unknown>("change_member_role", { p_organization_id: organizationId, p_user_id: userId, p_role: role }),
    removeMember: (organizationId: string, userId: string) =>
      rpc<unknown>("remove_member", { p_organization_id: organizationId, p_user_id: userId }),
    leaveOrganization: (organizationId: string) => rpc<unknown>("leave_organization", { p_organization_id: organizationId }),
    transferOwnership: (organizationId: string, userId: string) =>
      rpc<{ organization_id: string; owner: string; previous_owner: string }>("transfer_ownership", {
        p_organization_id: organizationId,
        p_user_id: userId,
      }),
    setActiveOrganization: (organizationId: string) =>
      rpc<unknown>("set_active_organization", { p_organization_id: organizationId }),
    organizationOnboarding: (organizationId: string) =>
      rpc<Onboarding>("organization_onboarding", { p_organization_id: organizationId }),
    saveOnboardingPhase: (organizationId: string, phase: PhaseKey, data: Record<string, unknown>) =>
      rpc<Phase>("save_onboarding_phase", { p_organization_id: organizationId, p_phase: phase, p_data: data }),
    verifyDomain: (organizationId: string) => rpc<DomainCheck>("verify_domain", { p_organization_id: organizationId }),

    // Ways in: domains, enrollment, join requests, invite links -----------------------------
    addOrganizationDomain: (organizationId: string, hostname: string) =>
      rpc<Domain & { existing: boolean }>("add_organization_domain", { p_organization_id: organizationId, p_hostname: hostname }),
    verifyOrganizationDomain: (domainId: string) => rpc<Domain>("verify_organization_domain", { p_domain_id: domainId }),
    removeOrganizationDomain: (domainId: string) =>
      rpc<{ id: string; hostname: string; removed: true }>("remove_organization_domain", { p_domain_id: domainId }),
    setDomainEnrollment: (domainId: string, mode: EnrollmentMode, defaultRole: Exclude<Role, "owner"> = "viewer") =>
      rpc<Domain & { invited: number; skipped_for_seats: number }>("set_domain_enrollment", {
        p_domain_id: domainId,
        p_mode: mode,
        p_default_role: defaultRole,
      }),
    mySuggestions: () =>
      rpc<{
        organization_id: string;
        organization_name: string;
        hostname: string;
        request: { id: string; status: JoinRequest["status"]; created_at: string } | null;
      }[]>("my_suggestions", {}),
    requestToJoin: (organizationId: string) =>
      rpc<JoinRequest & { existing: boolean }>("request_to_join", { p_organization_id: organizationId }),
    myJoinRequests: () => rpc<JoinRequest[]>("my_join_requests", {}),
    listJoinRequests: (organizationId: string) => rpc<JoinRequest[]>("list_join_requests", { p_organization_id: organizationId }),
    approveJoinRequest: (requestId: string, role?: Exclude<Role, "owner">) =>
      rpc<JoinRequest & { membership_id: string }>("approve_join_request", { p_request_id: requestId, p_role: role ?? null }),
    denyJoinRequest: (requestId: string) => rpc<JoinRequest>("deny_join_request", { p_request_id: requestId }),
    /** The token comes back this once: the link is `{app}/onboarding/join/{token}`. */
    createInviteLink: (
      organizationId: string,
      options: { role?: Exclude<Role, "owner">; maxUses?: number | null; expiresInHours?: number; allowedDomain?: string | null } = {},
    ) =>
      rpc<InviteLink & { token: string }>("create_invite_link", {
        p_organization_id: organizationId,
        p_role: options.role ?? "viewer",
        p_max_uses: options.maxUses ?? null,
        p_expires_in_hours: options.expiresInHours ?? 168,
        p_allowed_domain: options.allowedDomain ?? null,
      }),
    listInviteLinks: (organizationId: string) => rpc<InviteLink[]>("list_invite_links", { p_organization_id: organizationId }),
    revokeInviteLink: (linkId: string) => rpc<InviteLink>("revoke_invite_link", { p_link_id: linkId }),

    // Directory sync (SCIM): the identity provider's URL is `scimUrl`, its token made here ------
    /** Where the organization's identity provider sends SCIM 2.0 requests. */
    scimUrl: `${functionsUrl}/scim/v2`,
    directoryStatus: (organizationId: string) => rpc<DirectoryStatus>("directory_status", { p_organization_id: organizationId }),
    /** The token comes back this once. */
    createDirectoryToken: (organizationId: string) =>
      rpc<{ id: string; organization_id: string; token: string; hint: string; created_at: string }>(
        "create_directory_token", { p_organization_id: organizationId }),
    revokeDirectoryToken: (tokenId: string) =>
      rpc<{ id: string; organization_id: string; revoked_at: string }>("revoke_directory_token", { p_token_id: tokenId }),
    /** `role` null removes the mapping. */
    setDirectoryGroupRole: (organizationId: string, group: string, role: string | null) =>
      rpc<{ organization_id: string; group: string; role: string | null }>("set_directory_group_role", {
        p_organization_id: organizationId, p_group: group, p_role: role,
      }),
    setDirectorySettings: (organizationId: string, settings: { defaultRole?: string; sendInvitations?: boolean }) =>
      rpc<{ organization_id: string; default_role: string; send_invitations: boolean }>("set_directory_settings", {
        p_organization_id: organizationId, p_default_role: settings.defaultRole ?? null,
        p_send_invitations: settings.sendInvitations ?? null,
      }),

    // Governance: permissions, custom roles, the MFA policy, deletion, the user's own data -----
    /** The one check, as the database makes it (for hiding what a user may not do; access is decided there). */
    authorize: (organizationId: string, permission: Permission) =>
      rpc<boolean>("authorize", { p_organization_id: organizationId, p_permission: permission }),
    myOrganizations: () => rpc<MyOrganization[]>("my_organizations", {}),
    createRole: (organizationId: string, key: string, name: string, permissions: Permission[]) =>
      rpc<OrganizationRole>("create_role", { p_organization_id: organizationId, p_key: key, p_name: name, p_permissions: permissions }),
    updateRole: (roleId: string, name: string, permissions: Permission[]) =>
      rpc<OrganizationRole>("update_role", { p_role_id: roleId, p_name: name, p_permissions: permissions }),
    deleteRole: (roleId: string) => rpc<{ id: string; key: string; deleted: true }>("delete_role", { p_role_id: roleId }),
    setOrganizationMfaPolicy: (organizationId: string, required: boolean) =>
      rpc<{ organization_id: string; mfa_required: boolean }>("set_organization_mfa_policy", {
        p_organization_id: organizationId,
        p_required: required,
      }),
    requestOrganizationDeletion: (organizationId: string, confirmSlug: string) =>
      rpc<{ organization_id: string; status: "deletion_scheduled"; purge_after: string }>("request_organization_deletion", {
        p_organization_id: organizationId,
        p_confirm_slug: confirmSlug,
      }),
    cancelOrganizationDeletion: (organizationId: string) =>
      rpc<{ organization_id: string; status: string }>("cancel_organization_deletion", { p_organization_id: organizationId }),
    exportMyData: () => rpc<Record<string, unknown>>("export_my_data", {}),
    completeOnboarding: (organizationId: string) =>
      rpc<{ organization_id: string; status: "active"; onboarding_completed_at: string }>("complete_onboarding", {
        p_organization_id: organizationId,
      }),
    forceCompleteUserOnboarding: (userId: string, chatId: number, reason: string) =>
      rpc<unknown>("force_complete_user_onboarding", { p_user_id: userId, p_chat_id: chatId, p_reason: reason }),
    createWebhookEndpoint: (organizationId: string, url: string, events?: WebhookEventType[], description?: string) =>
      rpc<{ id: string; url: string; events: WebhookEventType[]; enabled: boolean; secret: string }>("create_webhook_endpoint", {
        p_organization_id: organizationId,
        p_url: url,
        p_events: events ?? null,
        p_description: description ?? null,
      }),
    rotateWebhookSecret: (endpointId: string) =>
      rpc<{ id: string; secret: string; previous_secret_valid_until: string }>("rotate_webhook_secret", {
        p_endpoint_id: endpointId,
      }),
    disableWebhookEndpoint: (endpointId: string) => rpc<unknown>("disable_webhook_endpoint", { p_endpoint_id: endpointId }),
    enableWebhookEndpoint: (endpointId: string) => rpc<unknown>("enable_webhook_endpoint", { p_endpoint_id: endpointId }),
    deleteWebhookEndpoint: (endpointId: string) => rpc<unknown>("delete_webhook_endpoint", { p_endpoint_id: endpointId }),
    replayWebhookMessage: (messageId: string, endpointId?: string) =>
      rpc<{ message_id: string; requeued: number }>("replay_webhook_message", {
        p_message_id: messageId,
        p_endpoint_id: endpointId ?? null,
      }),
  };
}

export type OnboardingClient = ReturnType<typeof createOnboardingClient>;
