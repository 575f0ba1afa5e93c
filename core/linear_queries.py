"""The GraphQL documents Rotadesk sends to Linear, one constant each.

Values always travel as variables. ``tests/unit/test_linear_documents.py`` validates every constant here
against Linear's published schema, so a renamed field fails a test instead of a sync.
"""

from __future__ import annotations

PAGE_INFO = "pageInfo { hasNextPage endCursor }"

ISSUE_FIELDS = """
fragment IssueFields on Issue {
  id identifier url title description priority createdAt updatedAt completedAt canceledAt
  state { id name type }
  team { id key }
  assignee { id name email }
  labels { nodes { id name } }
}
"""

VIEWER = """
query Viewer {
  viewer { id name email organization { id name urlKey } }
}
"""

TEAM_BY_KEY = """
query TeamByKey($key: String!) {
  teams(filter: {key: {eq: $key}}, first: 50) { nodes { id key name } }
}
"""

WORKFLOW_STATES = (
    """
query WorkflowStates($teamId: ID!, $after: String) {
  workflowStates(filter: {team: {id: {eq: $teamId}}}, first: 100, after: $after) {
    nodes { id name type position }
    %s
  }
}
"""
    % PAGE_INFO
)

# Team labels plus workspace labels (no team): both can be put on the team's issues.
LABELS = (
    """
query Labels($teamId: ID!, $after: String) {
  issueLabels(filter: {or: [{team: {id: {eq: $teamId}}}, {team: {null: true}}]}, first: 100, after: $after) {
    nodes { id name color team { id } }
    %s
  }
}
"""
    % PAGE_INFO
)

LABEL_CREATE = """
mutation LabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name color team { id } } }
}
"""

USER_BY_EMAIL = """
query UserByEmail($email: String!) {
  users(filter: {email: {eq: $email}}, first: 5) { nodes { id name displayName email active } }
}
"""

ISSUE = (
    """
query Issue($id: String!) {
  issue(id: $id) { ...IssueFields }
}
"""
    + ISSUE_FIELDS
)

ISSUE_CREATE = (
    """
mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

ISSUE_UPDATE = (
    """
mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

ISSUES = (
    """
query Issues($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: 50, after: $after, orderBy: updatedAt) {
    nodes { ...IssueFields }
    %s
  }
}
"""
    % PAGE_INFO
    + ISSUE_FIELDS
)

# The boundary guard: a person's issues touched in a window, with their own comments and every state move.
# Small pages keep the nested connections far under Linear's 10,000-point complexity cap per query.
ASSIGNED_ACTIVITY = (
    """
query AssignedActivity($filter: IssueFilter, $userId: ID!, $after: String) {
  issues(filter: $filter, first: 25, after: $after, orderBy: updatedAt) {
    nodes {
      id identifier url title startedAt completedAt canceledAt updatedAt
      state { id name type }
      team { id key }
      comments(filter: {user: {id: {eq: $userId}}}, first: 20) { nodes { id createdAt } }
      history(first: 30) { nodes { createdAt actor { id } fromState { type } toState { name type } } }
    }
    %s
  }
}
"""
    % PAGE_INFO
)

ATTACHMENT_FIELDS = "id url title subtitle metadata createdAt updatedAt issue { id identifier url }"

ATTACHMENT_CREATE = """
mutation AttachmentCreate($input: AttachmentCreateInput!) {
  attachmentCreate(input: $input) { success attachment { %s } }
}
""" % ATTACHMENT_FIELDS

ATTACHMENTS_FOR_URL = """
query AttachmentsForUrl($url: String!) {
  attachmentsForURL(url: $url, first: 50) { nodes { %s } }
}
""" % ATTACHMENT_FIELDS

COMMENT_CREATE = """
mutation CommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id body createdAt url } }
}
"""

COMMENTS_STARTING_WITH = (
    """
query CommentsStartingWith($issueId: String!, $prefix: String!, $after: String) {
  issue(id: $issueId) {
    comments(filter: {body: {startsWith: $prefix}}, first: 50, after: $after) {
      nodes { id body createdAt url user { id name email } }
      %s
    }
  }
}
"""
    % PAGE_INFO
)

# The team's cycles that end on or after a moment, to show the rotation per cycle as well as per week.
TEAM_CYCLES = (
    """
query TeamCycles($teamId: String!, $since: DateTimeOrDuration!, $after: String) {
  team(id: $teamId) {
    id cyclesEnabled
    cycles(filter: {endsAt: {gte: $since}}, first: 50, after: $after) {
      nodes { id number name startsAt endsAt }
      %s
    }
  }
}
"""
    % PAGE_INFO
)

# Handoffs posted to Linear: created under an id we choose, read back by it, updated when resubmitted.
DOCUMENT_FIELDS = "id title url content updatedAt"

DOCUMENT_CREATE = """
mutation DocumentCreate($input: DocumentCreateInput!) {
  documentCreate(input: $input) { success document { %s } }
}
""" % DOCUMENT_FIELDS

DOCUMENT_UPDATE = """
mutation DocumentUpdate($id: String!, $input: DocumentUpdateInput!) {
  documentUpdate(id: $id, input: $input) { success document { %s } }
}
""" % DOCUMENT_FIELDS

DOCUMENT = """
query Document($id: String!) {
  document(id: $id) { %s }
}
""" % DOCUMENT_FIELDS

COMMENT = """
query Comment($id: String!) {
  comment(id: $id) { id body createdAt url user { id name email } }
}
"""

COMMENT_UPDATE = """
mutation CommentUpdate($id: String!, $input: CommentUpdateInput!) {
  commentUpdate(id: $id, input: $input) { success comment { id body createdAt url } }
}
"""

CUSTOMER_UPSERT = """
mutation CustomerUpsert($input: CustomerUpsertInput!) {
  customerUpsert(input: $input) {
    success
    customer { id name externalIds domains revenue size url tier { id name } }
  }
}
"""

CUSTOMER_NEED_CREATE = """
mutation CustomerNeedCreate($input: CustomerNeedCreateInput!) {
  customerNeedCreate(input: $input) {
    success
    need { id body priority customer { id } issue { id } attachment { id url } }
  }
}
"""

ISSUES_MATCHING = (
    """
query IssuesMatching($filter: IssueFilter, $first: Int) {
  issues(filter: $filter, first: $first, orderBy: updatedAt) { nodes { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

ISSUE_RELATION_CREATE = """
mutation IssueRelationCreate($input: IssueRelationCreateInput!) {
  issueRelationCreate(input: $input) { success issueRelation { id type issue { id } relatedIssue { id } } }
}
"""


# A signed URL to PUT a file's bytes to, and the asset URL the file is linked by once they are there.
FILE_UPLOAD = """
mutation FileUpload($contentType: String!, $filename: String!, $size: Int!) {
  fileUpload(contentType: $contentType, filename: $filename, size: $size) {
    success
    uploadFile { uploadUrl assetUrl headers { key value } }
  }
}
"""


ALL_DOCUMENTS: dict[str, str] = {
    "VIEWER": VIEWER,
    "FILE_UPLOAD": FILE_UPLOAD,
    "TEAM_BY_KEY": TEAM_BY_KEY,
    "WORKFLOW_STATES": WORKFLOW_STATES,
    "LABELS": LABELS,
    "LABEL_CREATE": LABEL_CREATE,
    "USER_BY_EMAIL": USER_BY_EMAIL,
    "ISSUE": ISSUE,
    "ISSUE_CREATE": ISSUE_CREATE,
    "ISSUES_MATCHING": ISSUES_MATCHING,
    "ISSUE_RELATION_CREATE": ISSUE_RELATION_CREATE,
    "ISSUE_UPDATE": ISSUE_UPDATE,
    "ISSUES": ISSUES,
    "ASSIGNED_ACTIVITY": ASSIGNED_ACTIVITY,
    "ATTACHMENT_CREATE": ATTACHMENT_CREATE,
    "ATTACHMENTS_FOR_URL": ATTACHMENTS_FOR_URL,
    "COMMENT_CREATE": COMMENT_CREATE,
    "COMMENTS_STARTING_WITH": COMMENTS_STARTING_WITH,
    "TEAM_CYCLES": TEAM_CYCLES,
    "DOCUMENT_CREATE": DOCUMENT_CREATE,
    "DOCUMENT_UPDATE": DOCUMENT_UPDATE,
    "DOCUMENT": DOCUMENT,
    "COMMENT": COMMENT,
    "COMMENT_UPDATE": COMMENT_UPDATE,
    "CUSTOMER_UPSERT": CUSTOMER_UPSERT,
    "CUSTOMER_NEED_CREATE": CUSTOMER_NEED_CREATE,
}
