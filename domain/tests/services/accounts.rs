//! Accounts and tenancy in the domain layer, against a real database on the
//! backend chosen by `PINBRIDGE_TEST_BACKEND`: tenancy, setup, invitations,
//! roles, environments, audit and sign-in.

use std::time::Duration;

use domain::accounts::audit::{AuditFilter, AuditPage};
use domain::accounts::invitations::{Acceptance, INVITATION_TTL};
use domain::accounts::operators::NewOperator;
use domain::accounts::provision::{Provisioned, provision};
use domain::accounts::{
    AccountsError, Actor, AuditAction, DisplayName, Email, EnvironmentId, EnvironmentName, Hasher,
    NewPassword, OperatorId, RequestMeta, Role, WorkspaceId, WorkspaceName, actor_in, audit,
    environments, invitations, members, setup, sign_in, workspaces,
};
use domain::connections::portal;
use domain::db::{Db, repo};
use domain::testing::{TestDb, insert_connections};

const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn meta() -> RequestMeta {
    RequestMeta {
        ip: Some("203.0.113.7".into()),
        user_agent: Some("accounts-test".into()),
    }
}

fn hasher() -> Hasher {
    Hasher::fast_insecure()
}

async fn new_operator(email: &str) -> NewOperator {
    let email = Email::parse(email).unwrap();
    let password = NewPassword::parse(PASSWORD, &email, None).unwrap();
    NewOperator {
        password_hash: hasher().hash(&password).await.unwrap(),
        display_name: DisplayName::parse(email.local_part()).unwrap(),
        email,
    }
}

/// The first workspace and its owner, through the setup link.
pub(crate) async fn first_workspace(db: &Db, name: &str, owner: &str) -> (WorkspaceId, OperatorId) {
    let token = setup::issue_token(db, &Default::default()).await.unwrap();
    let done = setup::complete(
        db,
        token.expose(),
        &WorkspaceName::parse(name).unwrap(),
        &new_operator(owner).await,
        &meta(),
    )
    .await
    .unwrap();
    (done.workspace_id, done.operator_id)
}

/// Another workspace with its owner, as `pinbridge operator create` makes it.
pub(crate) async fn other_workspace(db: &Db, name: &str, owner: &str) -> Provisioned {
    provision(
        db,
        &WorkspaceName::parse(name).unwrap(),
        &new_operator(owner).await,
        Role::Owner,
        "cli",
        &meta(),
    )
    .await
    .unwrap()
}

pub(crate) async fn actor(db: &Db, ws: &WorkspaceId, op: &OperatorId) -> Actor {
    actor_in(db, ws, op).await.unwrap()
}

/// Invites `email` into the actor's workspace with `role` and accepts as a new account.
pub(crate) async fn join(db: &Db, owner: &Actor, email: &str, role: Role) -> OperatorId {
    let email = Email::parse(email).unwrap();
    let issued = invitations::invite(db, owner, &email, role, INVITATION_TTL, &meta())
        .await
        .unwrap();
    let new = new_operator(email.as_str()).await;
    invitations::accept(
        db,
        issued.token.expose(),
        Acceptance::NewAccount {
            display_name: new.display_name,
            password_hash: new.password_hash,
        },
        &meta(),
    )
    .await
    .unwrap()
    .operator_id
}

fn env_names(rows: &[domain::db::repo::environments::EnvironmentRow]) -> Vec<&str> {
    rows.iter().map(|e| e.name.as_str()).collect()
}

#[tokio::test]
async fn ids_of_another_workspace_find_nothing_and_change_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws_a, owner_a) = first_workspace(&db, "Alpha", "a@alpha.example").await;
    let b = other_workspace(&db, "Beta", "b@beta.example").await;
    let actor_a = actor(&db, &ws_a, &owner_a).await;
    let actor_b = actor(&db, &b.workspace_id, &b.operator_id).await;
    let b_env = environments::list(&db, &actor_b).await.unwrap()[0].clone();
    let b_invite = invitations::invite(
        &db,
        &actor_b,
        &Email::parse("c@beta.example").unwrap(),
        Role::Viewer,
        INVITATION_TTL,
        &meta(),
    )
    .await
    .unwrap();
    let b_audit_before = audit::list(&db, &actor_b, &page(50)).await.unwrap().events;

    // Not a member of B: no actor at all.
    assert!(matches!(
        actor_in(&db, &b.workspace_id, &owner_a).await,
        Err(AccountsError::NotFound)
    ));
    // B's ids through A's actor: not found, every time.
    let not_found = |r: Result<(), AccountsError>| {
        assert!(matches!(r, Err(AccountsError::NotFound)), "{r:?}");
    };
    not_found(
        environments::find(&db, &actor_a, &b_env.id)
            .await
            .map(|_| ()),
    );
    // A has an environment with the same slug: the lookup finds A's own.
    let same_slug = environments::find_by_slug(&db, &actor_a, &b_env.slug)
        .await
        .unwrap();
    assert_eq!(same_slug.workspace_id, ws_a);
    assert_ne!(same_slug.id, b_env.id);
    let renamed = EnvironmentName::parse("Hijacked").unwrap();
    not_found(
        environments::rename(&db, &actor_a, &b_env.id, &renamed, &meta())
            .await
            .map(|_| ()),
    );
    not_found(environments::delete(&db, &actor_a, &b_env.id, &b_env.name, &meta()).await);
    not_found(members::change_role(&db, &actor_a, &b.operator_id, Role::Viewer, &meta()).await);
    not_found(members::remove(&db, &actor_a, &b.operator_id, &meta()).await);
    not_found(invitations::revoke(&db, &actor_a, &b_invite.id, &meta()).await);
    assert!(
        environments::list(&db, &actor_a)
            .await
            .unwrap()
            .iter()
            .all(|e| e.workspace_id == ws_a)
    );
    assert!(
        members::list(&db, &actor_a)
            .await
            .unwrap()
            .iter()
            .all(|m| m.operator_id != b.operator_id)
    );
    assert!(
        invitations::list_pending(&db, &actor_a)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        audit::list(&db, &actor_a, &page(200))
            .await
            .unwrap()
            .events
            .iter()
            .all(|e| e.workspace_id == ws_a)
    );

    // Nothing in B changed.
    let b_env_after = environments::find(&db, &actor_b, &b_env.id).await.unwrap();
    assert_eq!(b_env_after, b_env);
    assert_eq!(
        actor(&db, &b.workspace_id, &b.operator_id).await.role(),
        Role::Owner
    );
    assert_eq!(
        invitations::list_pending(&db, &actor_b)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        audit::list(&db, &actor_b, &page(50)).await.unwrap().events,
        b_audit_before
    );

    db.close().await;
    test_db.drop_database().await;
}

fn page(limit: u32) -> AuditFilter {
    AuditFilter {
        limit,
        ..AuditFilter::default()
    }
}

#[tokio::test]
async fn the_setup_token_works_once_and_only_until_an_owner_exists() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    assert!(setup::needed(&db).await.unwrap());
    let first = setup::issue_token(&db, &Default::default()).await.unwrap();
    let second = setup::issue_token(&db, &Default::default()).await.unwrap();
    let name = WorkspaceName::parse("Acme").unwrap();
    let owner = new_operator("owner@acme.example").await;

    // A wrong token creates nothing.
    let err = setup::complete(&db, "not-a-token", &name, &owner, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::SetupTokenInvalid), "{err:?}");
    assert!(setup::needed(&db).await.unwrap());
    assert!(
        workspaces::find_by_name(&db, &name)
            .await
            .unwrap()
            .is_none()
    );

    let done = setup::complete(&db, first.expose(), &name, &owner, &meta())
        .await
        .unwrap();
    assert!(!setup::needed(&db).await.unwrap());
    let owner_actor = actor(&db, &done.workspace_id, &done.operator_id).await;
    assert_eq!(owner_actor.role(), Role::Owner);
    assert_eq!(
        env_names(&environments::list(&db, &owner_actor).await.unwrap()),
        ["Development", "Production"]
    );

    // Reusing the token, or another one issued before, fails and changes nothing.
    let other = WorkspaceName::parse("Intruder").unwrap();
    let intruder = new_operator("intruder@evil.example").await;
    for token in [first.expose(), second.expose()] {
        let err = setup::complete(&db, token, &other, &intruder, &meta())
            .await
            .unwrap_err();
        assert!(matches!(err, AccountsError::SetupTokenInvalid), "{err:?}");
    }
    assert!(
        workspaces::find_by_name(&db, &other)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        workspaces::of_operator(&db, &done.operator_id)
            .await
            .unwrap()
            .len()
            == 1,
        "still exactly one workspace for the owner"
    );
    // Once an owner exists no link is issued.
    assert!(matches!(
        setup::issue_token(&db, &Default::default()).await,
        Err(AccountsError::SetupComplete)
    ));
    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn invitations_are_single_use_and_expire() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner) = first_workspace(&db, "Acme", "owner@acme.example").await;
    let owner = actor(&db, &ws, &owner).await;
    let email = Email::parse("Viewer@Acme.example").unwrap();
    let issued = invitations::invite(&db, &owner, &email, Role::Viewer, INVITATION_TTL, &meta())
        .await
        .unwrap();
    let preview = invitations::preview(&db, issued.token.expose())
        .await
        .unwrap();
    assert_eq!(preview.email.as_str(), "viewer@acme.example");
    assert_eq!(preview.workspace_name.as_str(), "Acme");
    assert_eq!(preview.role, Role::Viewer);
    assert!(!preview.account_exists);

    let new = new_operator("viewer@acme.example").await;
    let acceptance = Acceptance::NewAccount {
        display_name: new.display_name.clone(),
        password_hash: new.password_hash.clone(),
    };
    let accepted = invitations::accept(&db, issued.token.expose(), acceptance.clone(), &meta())
        .await
        .unwrap();
    assert_eq!(accepted.workspace_id, ws);
    assert_eq!(
        actor(&db, &ws, &accepted.operator_id).await.role(),
        Role::Viewer
    );

    // Reuse fails, whoever tries.
    let err = invitations::accept(&db, issued.token.expose(), acceptance, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::InvitationInvalid), "{err:?}");
    let err = invitations::accept(
        &db,
        issued.token.expose(),
        Acceptance::SignedIn(accepted.operator_id.clone()),
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountsError::InvitationInvalid), "{err:?}");
    assert!(matches!(
        invitations::preview(&db, issued.token.expose()).await,
        Err(AccountsError::InvitationInvalid)
    ));
    // Already a member: no second invitation.
    assert!(matches!(
        invitations::invite(&db, &owner, &email, Role::Admin, INVITATION_TTL, &meta()).await,
        Err(AccountsError::AlreadyMember)
    ));

    // An expired invitation fails and creates no account.
    let late = Email::parse("late@acme.example").unwrap();
    let expired = invitations::invite(&db, &owner, &late, Role::Admin, Duration::ZERO, &meta())
        .await
        .unwrap();
    let late_new = new_operator(late.as_str()).await;
    let err = invitations::accept(
        &db,
        expired.token.expose(),
        Acceptance::NewAccount {
            display_name: late_new.display_name,
            password_hash: late_new.password_hash,
        },
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountsError::InvitationInvalid), "{err:?}");
    assert_eq!(members::list(&db, &owner).await.unwrap().len(), 2);
    assert!(
        !members::list(&db, &owner)
            .await
            .unwrap()
            .iter()
            .any(|m| m.email == late.as_str())
    );

    // An existing account joins by accepting while signed in as itself; a wrong
    // account is refused without using the invitation up.
    let other = other_workspace(&db, "Beta", "b@beta.example").await;
    let b_email = Email::parse("b@beta.example").unwrap();
    let for_b = invitations::invite(&db, &owner, &b_email, Role::Admin, INVITATION_TTL, &meta())
        .await
        .unwrap();
    assert!(
        invitations::preview(&db, for_b.token.expose())
            .await
            .unwrap()
            .account_exists
    );
    let impostor = new_operator("b@beta.example").await;
    let err = invitations::accept(
        &db,
        for_b.token.expose(),
        Acceptance::NewAccount {
            display_name: impostor.display_name,
            password_hash: impostor.password_hash,
        },
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountsError::AccountExists), "{err:?}");
    let err = invitations::accept(
        &db,
        for_b.token.expose(),
        Acceptance::SignedIn(accepted.operator_id.clone()),
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, AccountsError::InvitationForAnotherAccount { .. }),
        "{err:?}"
    );
    let joined = invitations::accept(
        &db,
        for_b.token.expose(),
        Acceptance::SignedIn(other.operator_id.clone()),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(joined.operator_id, other.operator_id);
    assert_eq!(
        workspaces::of_operator(&db, &other.operator_id)
            .await
            .unwrap()
            .len(),
        2
    );
    // Only owners invite.
    let viewer = actor(&db, &ws, &accepted.operator_id).await;
    assert!(matches!(
        invitations::invite(&db, &viewer, &late, Role::Owner, INVITATION_TTL, &meta()).await,
        Err(AccountsError::Forbidden)
    ));
    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_or_demoted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, first_id) = first_workspace(&db, "Acme", "first@acme.example").await;
    let first = actor(&db, &ws, &first_id).await;
    for role in [Role::Admin, Role::Viewer] {
        let err = members::change_role(&db, &first, &first_id, role, &meta())
            .await
            .unwrap_err();
        assert!(matches!(err, AccountsError::LastOwner), "{err:?}");
    }
    let err = members::remove(&db, &first, &first_id, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::LastOwner), "{err:?}");
    assert_eq!(actor(&db, &ws, &first_id).await.role(), Role::Owner);

    // Admins do not manage members.
    let admin_id = join(&db, &first, "admin@acme.example", Role::Admin).await;
    let admin = actor(&db, &ws, &admin_id).await;
    assert!(matches!(
        members::change_role(&db, &admin, &admin_id, Role::Owner, &meta()).await,
        Err(AccountsError::Forbidden)
    ));

    // With a second owner, the first can step down; then the second is the last.
    let second_id = join(&db, &first, "second@acme.example", Role::Owner).await;
    members::change_role(&db, &first, &first_id, Role::Admin, &meta())
        .await
        .unwrap();
    let second = actor(&db, &ws, &second_id).await;
    let err = members::change_role(&db, &second, &second_id, Role::Viewer, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::LastOwner), "{err:?}");
    // The demoted first owner's old actor is refused: the role is re-read.
    assert!(matches!(
        members::remove(&db, &first, &second_id, &meta()).await,
        Err(AccountsError::Forbidden)
    ));

    // Race: while another transaction holding the workspace's lock demotes the
    // second owner, the first owner steps down. The change waits for the lock,
    // then sees the second owner gone and refuses; without the lock it would
    // count two owners and leave none.
    members::change_role(&db, &second, &first_id, Role::Owner, &meta())
        .await
        .unwrap();
    let first = actor(&db, &ws, &first_id).await;
    let mut tx = db.begin().await.unwrap();
    assert!(repo::workspaces::lock(&mut tx, &ws).await.unwrap());
    assert!(
        repo::memberships::update_role(&mut tx, &ws, &second_id, Role::Viewer)
            .await
            .unwrap()
    );
    let stepping_down = tokio::spawn({
        let (db, first, first_id) = (db.clone(), first.clone(), first_id.clone());
        async move { members::change_role(&db, &first, &first_id, Role::Admin, &meta()).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stepping_down.is_finished(), "waits for the workspace lock");
    tx.commit().await.unwrap();
    let r = stepping_down.await.unwrap();
    assert!(matches!(r, Err(AccountsError::LastOwner)), "{r:?}");
    let owners: Vec<_> = members::list(&db, &first)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == Role::Owner)
        .map(|m| m.operator_id)
        .collect();
    assert_eq!(owners, [first_id]);
    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn environment_names_are_unique_per_workspace_and_deletion_is_guarded() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner_id) = first_workspace(&db, "Acme", "owner@acme.example").await;
    let owner = actor(&db, &ws, &owner_id).await;
    let name = |s: &str| EnvironmentName::parse(s).unwrap();
    let staging = environments::add(&db, &owner, &name("Staging"), &meta())
        .await
        .unwrap();
    assert_eq!(staging.slug, "staging");

    for dup in [" staging ", "PRODUCTION"] {
        let err = environments::add(&db, &owner, &name(dup), &meta())
            .await
            .unwrap_err();
        assert!(
            matches!(err, AccountsError::EnvironmentNameTaken),
            "{dup}: {err:?}"
        );
    }
    let err = environments::add(&db, &owner, &name("Staging!"), &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AccountsError::EnvironmentSlugTaken { slug } if slug == "staging"),
        "{err:?}"
    );
    let err = environments::rename(&db, &owner, &staging.id, &name("development"), &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AccountsError::EnvironmentNameTaken),
        "{err:?}"
    );
    // Renaming to another case of its own name is fine; the slug follows.
    let renamed = environments::rename(&db, &owner, &staging.id, &name("QA Stage"), &meta())
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.slug.as_str()),
        ("QA Stage", "qa-stage")
    );
    environments::rename(&db, &owner, &staging.id, &name("qa stage"), &meta())
        .await
        .unwrap();
    assert_eq!(
        env_names(&environments::list(&db, &owner).await.unwrap()),
        ["Development", "Production", "qa stage"]
    );
    // The same name in another workspace is fine.
    let beta = other_workspace(&db, "Beta", "b@beta.example").await;
    let beta_owner = actor(&db, &beta.workspace_id, &beta.operator_id).await;
    environments::add(&db, &beta_owner, &name("QA Stage"), &meta())
        .await
        .unwrap();

    // Viewers cannot change environments.
    let viewer_id = join(&db, &owner, "viewer@acme.example", Role::Viewer).await;
    let viewer = actor(&db, &ws, &viewer_id).await;
    assert!(matches!(
        environments::add(&db, &viewer, &name("Mine"), &meta()).await,
        Err(AccountsError::Forbidden)
    ));
    assert!(matches!(
        environments::delete(&db, &viewer, &staging.id, "qa stage", &meta()).await,
        Err(AccountsError::Forbidden)
    ));

    // Deletion needs the exact name and no connections.
    let err = environments::delete(&db, &owner, &staging.id, "QA Stage", &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AccountsError::EnvironmentConfirmationMismatch),
        "{err:?}"
    );
    // Two end users' connections: refused until both are disconnected (a
    // disconnected connection holds no tokens and does not count).
    let connected = insert_connections(&db, &ws, &staging.id, &["user-1", "user-2"]).await;
    let err = environments::delete(&db, &owner, &staging.id, "qa stage", &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AccountsError::EnvironmentInUse { connections: 2 }),
        "{err:?}"
    );
    portal::disconnect(&db, &owner, &connected[0], &meta())
        .await
        .unwrap();
    let err = environments::delete(&db, &owner, &staging.id, "qa stage", &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AccountsError::EnvironmentInUse { connections: 1 }),
        "{err:?}"
    );
    portal::disconnect(&db, &owner, &connected[1], &meta())
        .await
        .unwrap();
    assert_eq!(environments::list(&db, &owner).await.unwrap().len(), 3);
    environments::delete(&db, &owner, &staging.id, "qa stage", &meta())
        .await
        .unwrap();
    assert!(matches!(
        environments::find(&db, &owner, &staging.id).await,
        Err(AccountsError::NotFound)
    ));
    // The last environment stays.
    let envs = environments::list(&db, &owner).await.unwrap();
    environments::delete(&db, &owner, &envs[0].id, &envs[0].name, &meta())
        .await
        .unwrap();
    let err = environments::delete(&db, &owner, &envs[1].id, &envs[1].name, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::LastEnvironment), "{err:?}");
    db.close().await;
    test_db.drop_database().await;
}

async fn all_pages(db: &Db, actor: &Actor, mut filter: AuditFilter) -> Vec<AuditPage> {
    let mut pages = Vec::new();
    loop {
        let page = audit::list(db, actor, &filter).await.unwrap();
        let next = page.next.clone();
        pages.push(page);
        match next {
            Some(cursor) => filter.after = Some(cursor),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn the_audit_log_filters_and_pages_newest_first() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner_id) = first_workspace(&db, "Acme", "owner@acme.example").await;
    let owner = actor(&db, &ws, &owner_id).await;
    let admin_id = join(&db, &owner, "admin@acme.example", Role::Admin).await;
    let admin = actor(&db, &ws, &admin_id).await;
    let mut created: Vec<EnvironmentId> = Vec::new();
    for i in 0..5 {
        let who = if i % 2 == 0 { &owner } else { &admin };
        let env = EnvironmentName::parse(&format!("Env {i}")).unwrap();
        created.push(environments::add(&db, who, &env, &meta()).await.unwrap().id);
    }
    environments::rename(
        &db,
        &admin,
        &created[0],
        &EnvironmentName::parse("Env zero").unwrap(),
        &meta(),
    )
    .await
    .unwrap();

    // Everything, two at a time, newest first, each event once.
    let everything = audit::list(&db, &owner, &page(200)).await.unwrap();
    assert!(everything.next.is_none());
    let pages = all_pages(&db, &owner, page(2)).await;
    assert!(pages.iter().all(|p| p.events.len() <= 2));
    let paged: Vec<_> = pages.iter().flat_map(|p| p.events.clone()).collect();
    assert_eq!(paged, everything.events);
    assert!(
        paged.len() >= 9,
        "setup, invite, accept, 5 creations, rename: {}",
        paged.len()
    );
    assert!(
        paged
            .windows(2)
            .all(|w| (w[0].created_at, &w[0].id) > (w[1].created_at, &w[1].id))
    );
    assert_eq!(paged[0].action, AuditAction::EnvironmentRenamed);
    assert_eq!(paged.last().unwrap().action, AuditAction::SetupCompleted);

    // By action.
    let by_action = AuditFilter {
        action: Some(AuditAction::EnvironmentCreated),
        ..page(200)
    };
    let creations = audit::list(&db, &owner, &by_action).await.unwrap().events;
    assert_eq!(creations.len(), 5);
    assert!(
        creations
            .iter()
            .all(|e| e.action == AuditAction::EnvironmentCreated)
    );
    assert_eq!(creations[0].target, "Env 4");
    // By environment.
    let by_env = AuditFilter {
        environment_id: Some(created[0].clone()),
        ..page(200)
    };
    let env_events = audit::list(&db, &owner, &by_env).await.unwrap().events;
    let actions: Vec<_> = env_events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["environment.renamed", "environment.created"]);
    // By actor, and paged.
    let by_admin = AuditFilter {
        actor_operator_id: Some(admin_id.clone()),
        ..page(1)
    };
    let admin_pages = all_pages(&db, &owner, by_admin).await;
    let admin_events: Vec<_> = admin_pages.iter().flat_map(|p| p.events.clone()).collect();
    // Accepting the invitation, two creations, the rename.
    assert_eq!(admin_events.len(), 4, "{admin_events:?}");
    assert_eq!(admin_pages.len(), 4);
    assert!(
        admin_events
            .iter()
            .all(|e| e.actor_operator_id.as_ref() == Some(&admin_id))
    );
    assert!(
        admin_events
            .iter()
            .all(|e| e.actor_label == "admin@acme.example")
    );
    // Request facts are kept; no secret is.
    let e = &admin_events[0];
    assert_eq!(e.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(e.user_agent.as_deref(), Some("accounts-test"));
    for event in &everything.events {
        assert!(
            !event.detail.contains(PASSWORD) && !event.detail.contains("argon2"),
            "{event:?}"
        );
    }
    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn passwords_verify_and_repeated_failures_are_throttled() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner_id) = first_workspace(&db, "Acme", "owner@acme.example").await;
    let h = hasher();

    // Round trip through the database: the stored hash is argon2id and verifies.
    let id = sign_in::sign_in(&db, &h, " Owner@Acme.example ", PASSWORD, &meta())
        .await
        .unwrap();
    assert_eq!(id.operator, owner_id);
    assert!(!id.code_needed);
    let wrong = sign_in::sign_in(&db, &h, "owner@acme.example", "wrong password!!", &meta()).await;
    assert!(
        matches!(wrong, Err(AccountsError::InvalidCredentials)),
        "{wrong:?}"
    );
    let unknown = sign_in::sign_in(&db, &h, "nobody@acme.example", PASSWORD, &meta()).await;
    assert!(
        matches!(unknown, Err(AccountsError::InvalidCredentials)),
        "{unknown:?}"
    );
    let owner = actor(&db, &ws, &owner_id).await;
    let actions: Vec<_> = audit::list(&db, &owner, &page(10))
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        &actions[..2],
        ["session.sign_in_failed", "session.signed_in"]
    );
    let failed = &audit::list(&db, &owner, &page(1)).await.unwrap().events[0];
    assert_eq!(
        failed.actor_operator_id, None,
        "an unverified attempt has no actor"
    );
    assert_eq!(failed.target, "owner@acme.example");
    assert_eq!(failed.ip.as_deref(), Some("203.0.113.7"));

    // Per email and client: five failures are free, the sixth attempt is
    // checked, the seventh comes too soon and is refused unchecked, even with
    // the right password.
    for _ in 0..5 {
        let r = sign_in::sign_in(&db, &h, "owner@acme.example", "wrong password!!", &meta()).await;
        assert!(matches!(r, Err(AccountsError::InvalidCredentials)), "{r:?}");
    }
    let runs = h.runs();
    let r = sign_in::sign_in(&db, &h, "owner@acme.example", PASSWORD, &meta()).await;
    assert!(matches!(r, Err(AccountsError::Throttled { .. })), "{r:?}");
    assert_eq!(h.runs(), runs, "a refused attempt hashes nothing");
    // The operator is not locked out from everywhere: another client signs in.
    let elsewhere = RequestMeta {
        ip: Some("198.51.100.9".into()),
        user_agent: None,
    };
    sign_in::sign_in(&db, &h, "owner@acme.example", PASSWORD, &elsewhere)
        .await
        .unwrap();

    // The refused attempt counted too, so the wait doubled to 2 s. It runs
    // out; a success then clears the count, so one more mistake does not
    // bring the wait back.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    sign_in::sign_in(&db, &h, "owner@acme.example", PASSWORD, &meta())
        .await
        .unwrap();
    let r = sign_in::sign_in(&db, &h, "owner@acme.example", "wrong password!!", &meta()).await;
    assert!(matches!(r, Err(AccountsError::InvalidCredentials)), "{r:?}");
    sign_in::sign_in(&db, &h, "owner@acme.example", PASSWORD, &meta())
        .await
        .unwrap();

    // Malformed input is refused before any database or hashing work.
    let runs = h.runs();
    for (email, password) in [
        ("not an email", PASSWORD.to_owned()),
        (
            &*format!("{}@acme.example", "a".repeat(300)),
            PASSWORD.to_owned(),
        ),
        ("owner@acme.example", "p".repeat(1_025)),
        ("owner@acme.example", String::new()),
    ] {
        let r = sign_in::sign_in(&db, &h, email, &password, &meta()).await;
        assert!(matches!(r, Err(AccountsError::Invalid(_))), "{r:?}");
    }
    assert_eq!(h.runs(), runs);

    // Per IP: spraying many emails from one address is throttled too.
    let sprayer = RequestMeta {
        ip: Some("192.0.2.66".into()),
        user_agent: None,
    };
    for i in 0..21 {
        let r = sign_in::sign_in(
            &db,
            &h,
            &format!("guess{i}@acme.example"),
            "guess password",
            &sprayer,
        )
        .await;
        assert!(
            matches!(r, Err(AccountsError::InvalidCredentials)),
            "{i}: {r:?}"
        );
    }
    let r = sign_in::sign_in(&db, &h, "fresh@acme.example", "guess password", &sprayer).await;
    assert!(matches!(r, Err(AccountsError::Throttled { .. })), "{r:?}");
    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn provisioning_finds_or_creates_and_names_stay_unique() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let acme = WorkspaceName::parse("Acme").unwrap();
    let viewer = new_operator("viewer@acme.example").await;

    // A new workspace must start with an owner; refusing it creates nothing.
    let err = provision(&db, &acme, &viewer, Role::Viewer, "cli", &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AccountsError::FirstMemberMustBeOwner),
        "{err:?}"
    );
    assert!(
        workspaces::find_by_name(&db, &acme)
            .await
            .unwrap()
            .is_none()
    );
    assert!(setup::needed(&db).await.unwrap());

    let owner = other_workspace(&db, "Acme", "owner@acme.example").await;
    assert!(owner.workspace_created && owner.operator_created);
    assert!(!setup::needed(&db).await.unwrap(), "an owner ends setup");
    // The same name in another case finds the workspace.
    let shouting = WorkspaceName::parse("ACME").unwrap();
    let added = provision(&db, &shouting, &viewer, Role::Viewer, "cli", &meta())
        .await
        .unwrap();
    assert_eq!(added.workspace_id, owner.workspace_id);
    assert!(!added.workspace_created && added.operator_created);
    let err = provision(&db, &shouting, &viewer, Role::Admin, "cli", &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::AlreadyMember), "{err:?}");
    let owner_actor = actor(&db, &owner.workspace_id, &owner.operator_id).await;
    assert_eq!(members::list(&db, &owner_actor).await.unwrap().len(), 2);
    assert_eq!(
        env_names(&environments::list(&db, &owner_actor).await.unwrap()),
        ["Development", "Production"]
    );

    // An operator's own new workspace: name unique regardless of case.
    let err = workspaces::create(
        &db,
        &owner.operator_id,
        "owner@acme.example",
        &WorkspaceName::parse("acme").unwrap(),
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AccountsError::WorkspaceNameTaken), "{err:?}");
    let beta = workspaces::create(
        &db,
        &added.operator_id,
        "viewer@acme.example",
        &WorkspaceName::parse("Beta").unwrap(),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        actor(&db, &beta, &added.operator_id).await.role(),
        Role::Owner
    );
    let theirs = workspaces::of_operator(&db, &added.operator_id)
        .await
        .unwrap();
    let names: Vec<_> = theirs
        .iter()
        .map(|w| (w.name.as_str(), w.role.as_str()))
        .collect();
    assert_eq!(names, [("Acme", "viewer"), ("Beta", "owner")]);
    // The frame's one query gives the operator with the same list, in order...
    let (me, listed) = workspaces::operator_with_workspaces(&db, &added.operator_id)
        .await
        .unwrap()
        .expect("the operator exists");
    assert_eq!(me.id, added.operator_id);
    assert_eq!(me.email, "viewer@acme.example");
    let listed: Vec<_> = listed
        .iter()
        .map(|w| (w.id.clone(), w.name.as_str(), w.role))
        .collect();
    let expected: Vec<_> = theirs
        .iter()
        .map(|w| (w.id.clone(), w.name.as_str(), w.role))
        .collect();
    assert_eq!(listed, expected);
    // ...an operator who belongs to no workspace any more, with an empty list...
    let owner_actor = actor(&db, &owner.workspace_id, &owner.operator_id).await;
    let left = join(&db, &owner_actor, "left@acme.example", Role::Viewer).await;
    members::remove(&db, &owner_actor, &left, &meta())
        .await
        .unwrap();
    let (me, listed) = workspaces::operator_with_workspaces(&db, &left)
        .await
        .unwrap()
        .expect("the operator still exists");
    assert_eq!((me.id, me.email.as_str()), (left, "left@acme.example"));
    assert!(listed.is_empty(), "{listed:?}");
    // ...and nothing for an operator who does not exist.
    assert!(
        workspaces::operator_with_workspaces(&db, &OperatorId::generate())
            .await
            .unwrap()
            .is_none()
    );
    db.close().await;
    test_db.drop_database().await;
}
