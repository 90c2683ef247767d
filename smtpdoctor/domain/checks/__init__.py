"""The builtin domain checks, one module each, registered through
``smtpdoctor_register_domain_checks`` exactly as a third-party plugin registers its own."""
