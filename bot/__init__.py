"""The Slack side of actionbot: a Bolt app that turns transcripts into action items and Jira issues."""
