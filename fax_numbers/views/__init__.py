"""The numbers pages: the list, a number's page and its actions, search and provisioning,
the validate tool and the team page. Everything but a member's own numbers is staff-only."""
