//! The diesel schema, shared by both backends (migrations/sqlite and migrations/postgres keep
//! the same columns and types).

diesel::table! {
    units (id) {
        id -> Integer,
        parent_id -> Nullable<Integer>,
        slug -> Text,
        name -> Text,
        kind -> Text,
        contact_emails -> Text,
        template_id -> Nullable<Text>,
        ticket_mode -> Bool,
        created_at -> Timestamp,
        active -> Bool,
        poster_per_service -> Bool,
        poster_downloaded_at -> Nullable<Timestamp>,
        time_zone -> Nullable<Text>,
        mail_from -> Nullable<Text>,
    }
}

diesel::table! {
    unit_letterheads (unit_id) {
        unit_id -> Integer,
        agency -> Text,
        address -> Text,
        phone -> Text,
        website -> Text,
        logo -> Nullable<Text>,
        place -> Text,
        position -> Text,
        head_name -> Text,
        nip -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unit_populations (unit_id, period) {
        unit_id -> Integer,
        period -> Text,
        population -> BigInt,
    }
}

diesel::table! {
    services (id) {
        id -> Integer,
        unit_id -> Integer,
        slug -> Text,
        name -> Text,
        active -> Bool,
    }
}

diesel::table! {
    template_versions (id) {
        id -> Integer,
        template_id -> Text,
        version -> Text,
        content_hash -> Text,
        content -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    responses (id) {
        id -> Text,
        unit_id -> Integer,
        service_id -> Nullable<Integer>,
        template_version_id -> Integer,
        channel -> Text,
        submitted_at -> Timestamp,
        survey_date -> Text,
        gender -> Nullable<Text>,
        age -> Nullable<Integer>,
        education -> Nullable<Text>,
        occupation -> Nullable<Text>,
        profile_extra -> Nullable<Text>,
        saran -> Nullable<Text>,
        client_hash -> Nullable<Text>,
        score_sum -> Integer,
        score_count -> Integer,
        answer_key -> Text,
        flagged -> Bool,
        counter_id -> Nullable<Integer>,
        officer_id -> Nullable<Integer>,
        via_unit_id -> Nullable<Integer>,
        device_id -> Nullable<Integer>,
        received_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    answers (response_id, element_code) {
        response_id -> Text,
        element_code -> Text,
        score -> Integer,
    }
}

diesel::table! {
    daily_element_totals (unit_id, survey_date, template_version_id, service_id, element_code) {
        unit_id -> Integer,
        survey_date -> Text,
        template_version_id -> Integer,
        service_id -> Integer,
        element_code -> Text,
        score_sum -> Integer,
        answer_count -> Integer,
    }
}

diesel::table! {
    daily_response_totals (unit_id, survey_date, template_version_id, service_id) {
        unit_id -> Integer,
        survey_date -> Text,
        template_version_id -> Integer,
        service_id -> Integer,
        responses -> Integer,
        mean_sum -> Double,
        mean_square_sum -> Double,
    }
}

diesel::table! {
    monthly_element_totals (unit_id, month, template_version_id, service_id, element_code) {
        unit_id -> Integer,
        month -> Text,
        template_version_id -> Integer,
        service_id -> Integer,
        element_code -> Text,
        score_sum -> BigInt,
        answer_count -> BigInt,
    }
}

diesel::table! {
    monthly_response_totals (unit_id, month, template_version_id, service_id) {
        unit_id -> Integer,
        month -> Text,
        template_version_id -> Integer,
        service_id -> Integer,
        responses -> BigInt,
        mean_sum -> Double,
        mean_square_sum -> Double,
    }
}

diesel::table! {
    publications (unit_id, period) {
        unit_id -> Integer,
        period -> Text,
        published_at -> Timestamp,
        published_by -> Nullable<Integer>,
        with_subunits -> Bool,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        email_opt_out -> Bool,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        session_epoch -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Integer,
        user_id -> Integer,
        token_hash -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        purpose -> Text,
    }
}

diesel::table! {
    user_units (user_id, unit_id) {
        user_id -> Integer,
        unit_id -> Integer,
    }
}

diesel::table! {
    rtl_actions (id) {
        id -> Integer,
        unit_id -> Integer,
        period -> Text,
        element_code -> Text,
        action -> Text,
        owner -> Text,
        due_date -> Text,
        status -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    proof_images (id) {
        id -> Integer,
        content_type -> Text,
        data -> Binary,
        uploaded_by -> Nullable<Integer>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    rtl_status_changes (id) {
        id -> Integer,
        action_id -> Integer,
        from_status -> Nullable<Text>,
        to_status -> Text,
        changed_by -> Nullable<Integer>,
        changed_at -> Timestamp,
        note -> Nullable<Text>,
        url -> Nullable<Text>,
        image_id -> Nullable<Integer>,
    }
}

diesel::table! {
    publication_media (id) {
        id -> Integer,
        unit_id -> Integer,
        period -> Text,
        medium -> Text,
        published_on -> Text,
        url -> Nullable<Text>,
        image_id -> Nullable<Integer>,
        note -> Nullable<Text>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_log (id) {
        id -> Integer,
        recipient -> Text,
        period -> Text,
        kind -> Text,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        actor_user_id -> Nullable<Integer>,
        action -> Text,
        detail -> Text,
    }
}

diesel::table! {
    used_form_tokens (nonce) {
        nonce -> Text,
        used_at -> Timestamp,
    }
}

diesel::table! {
    ticket_codes (unit_id, code) {
        unit_id -> Integer,
        code -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        response_id -> Nullable<Text>,
    }
}

diesel::table! {
    import_batches (id) {
        id -> Integer,
        unit_id -> Integer,
        content_hash -> Text,
        imported_at -> Timestamp,
        imported_by -> Nullable<Integer>,
        row_count -> Integer,
        channel -> Text,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        unit_id -> Integer,
        name -> Text,
        scopes -> Text,
        digest -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_keys -> units (unit_id));
diesel::joinable!(answers -> responses (response_id));
diesel::joinable!(responses -> units (unit_id));
diesel::joinable!(responses -> services (service_id));
diesel::joinable!(services -> units (unit_id));
diesel::joinable!(unit_populations -> units (unit_id));
diesel::joinable!(unit_letterheads -> units (unit_id));
diesel::joinable!(user_units -> users (user_id));
diesel::joinable!(user_units -> units (unit_id));
diesel::joinable!(import_batches -> units (unit_id));
diesel::joinable!(import_batches -> users (imported_by));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(rtl_status_changes -> rtl_actions (action_id));
diesel::joinable!(rtl_status_changes -> users (changed_by));
diesel::joinable!(publication_media -> units (unit_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    units,
    unit_letterheads,
    unit_populations,
    services,
    template_versions,
    responses,
    answers,
    users,
    user_units,
    password_resets,
    rtl_actions,
    rtl_status_changes,
    publication_media,
    proof_images,
    email_log,
    audit_log,
    import_batches,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    daily_element_totals::unit_id,
    daily_element_totals::service_id,
    daily_element_totals::element_code,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    responses::unit_id,
    responses::service_id,
    answers::element_code,
);

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_start -> BigInt,
        hits -> Integer,
    }
}

diesel::table! {
    setup_uploads (digest) {
        digest -> Text,
        content -> Text,
        uploaded_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

// Counters (loket) and officers (issue 19, point 4).
diesel::table! {
    counters (id) {
        id -> Integer,
        unit_id -> Integer,
        code -> Text,
        name -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    officers (id) {
        id -> Integer,
        unit_id -> Integer,
        code -> Text,
        name -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(counters -> units (unit_id));
diesel::joinable!(officers -> units (unit_id));
diesel::joinable!(responses -> counters (counter_id));
diesel::joinable!(responses -> officers (officer_id));
diesel::allow_tables_to_appear_in_same_query!(counters, responses);
diesel::allow_tables_to_appear_in_same_query!(officers, responses);
diesel::allow_tables_to_appear_in_same_query!(counters, units);
diesel::allow_tables_to_appear_in_same_query!(officers, units);
diesel::allow_tables_to_appear_in_same_query!(counters, officers);

// Survey invitations: one-time short links from a unit's service system (issue 19, point 2).
diesel::table! {
    invitations (id) {
        id -> Integer,
        unit_id -> Integer,
        code -> Text,
        ref_hash -> Nullable<Text>,
        service_id -> Nullable<Integer>,
        counter_id -> Nullable<Integer>,
        officer_id -> Nullable<Integer>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        spent_at -> Nullable<Timestamp>,
        response_id -> Nullable<Text>,
    }
}

diesel::joinable!(invitations -> units (unit_id));
diesel::joinable!(invitations -> services (service_id));
diesel::joinable!(invitations -> counters (counter_id));
diesel::allow_tables_to_appear_in_same_query!(invitations, units);
diesel::allow_tables_to_appear_in_same_query!(invitations, services);
diesel::allow_tables_to_appear_in_same_query!(invitations, counters);
diesel::allow_tables_to_appear_in_same_query!(invitations, officers);
diesel::allow_tables_to_appear_in_same_query!(invitations, responses);

diesel::table! {
    unit_instruments (unit_id, template_id) {
        unit_id -> Integer,
        template_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    instrument_answers (response_id, template_version_id, element_code) {
        response_id -> Text,
        template_version_id -> Integer,
        element_code -> Text,
        score -> Integer,
    }
}

diesel::joinable!(unit_instruments -> units (unit_id));
diesel::joinable!(instrument_answers -> responses (response_id));
diesel::joinable!(instrument_answers -> template_versions (template_version_id));
diesel::allow_tables_to_appear_in_same_query!(unit_instruments, units);
diesel::allow_tables_to_appear_in_same_query!(instrument_answers, responses);
diesel::allow_tables_to_appear_in_same_query!(instrument_answers, template_versions);

diesel::table! {
    devices (id) {
        id -> Integer,
        public_id -> Text,
        kind -> Text,
        label -> Text,
        person -> Nullable<Text>,
        counter_id -> Nullable<Integer>,
        public_key -> Nullable<Text>,
        key_fingerprint -> Nullable<Text>,
        enrol_code_hash -> Nullable<Text>,
        enrol_expires_at -> Nullable<Timestamp>,
        enrolled_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_sync_at -> Nullable<Timestamp>,
        pending_reported -> Nullable<Integer>,
        refused_uploads -> Integer,
        last_refused_at -> Nullable<Timestamp>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    device_units (device_id, unit_id) {
        device_id -> Integer,
        unit_id -> Integer,
    }
}

diesel::joinable!(device_units -> devices (device_id));
diesel::joinable!(device_units -> units (unit_id));
diesel::allow_tables_to_appear_in_same_query!(device_units, devices);
diesel::allow_tables_to_appear_in_same_query!(device_units, units);
diesel::allow_tables_to_appear_in_same_query!(devices, units);
diesel::allow_tables_to_appear_in_same_query!(devices, responses);
diesel::allow_tables_to_appear_in_same_query!(devices, counters);

// Monthly totals per tenant subtree (issue 21): refreshed by a job, read by the upper levels.
diesel::table! {
    rollup_element_totals (node_id, month, template_version_id, element_code) {
        node_id -> Integer,
        month -> Text,
        template_version_id -> Integer,
        element_code -> Text,
        score_sum -> BigInt,
        answer_count -> BigInt,
    }
}

diesel::table! {
    rollup_response_totals (node_id, month, template_version_id) {
        node_id -> Integer,
        month -> Text,
        template_version_id -> Integer,
        responses -> BigInt,
        mean_sum -> Double,
        mean_square_sum -> Double,
    }
}

diesel::table! {
    rollup_months (month) {
        month -> Text,
        refreshed_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(rollup_element_totals, units);
diesel::allow_tables_to_appear_in_same_query!(rollup_response_totals, units);

diesel::table! {
    archived_months (month, archive) {
        month -> Text,
        archive -> Text,
        responses -> BigInt,
        archived_at -> Timestamp,
    }
}
