"""Slack action ids, callback ids and the slash command name, in one place."""

SLASH_COMMAND = "/actions"

# Message shortcut "Extract action items" (manifest: shortcuts[].callback_id).
EXTRACT_SHORTCUT = "extract_action_items"

# Buttons on a results message; each button's value is only a database id.
CREATE_ISSUE = "create_issue"
EDIT_ITEM = "edit_item"
DISMISS_ITEM = "dismiss_item"
CREATE_ALL = "create_all"
RETRY_CREATE = "retry_create"
OPEN_ISSUE = "open_issue"

# The Edit modal and its inputs (block_id, action_id pairs).
EDIT_VIEW = "edit_item_view"
EDIT_OWNER_BLOCK, EDIT_OWNER = "owner_block", "owner"
EDIT_TASK_BLOCK, EDIT_TASK = "task_block", "task"
EDIT_DUE_BLOCK, EDIT_DUE = "due_block", "due"
EDIT_PRIORITY_BLOCK, EDIT_PRIORITY = "priority_block", "priority"

# Prefix of the block_id of each item's blocks, so a refresh can find them.
ITEM_BLOCK_PREFIX = "item-"
