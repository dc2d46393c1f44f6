/** How the review shows values Terraform does not know yet, and sensitive ones. */
export const UNKNOWN = "(known after apply)";
export const SENSITIVE = "(sensitive)";
