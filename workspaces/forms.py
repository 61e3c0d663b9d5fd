from django import forms

from workspaces.models import KeyScope, Role, Workspace


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        label="Key name",
        help_text="What uses this key, e.g. “Website tracking”.",
        error_messages={
            "required": "Name the key after what will use it, e.g. “Website tracking”, "
            "so you know which one to revoke later."
        },
    )
    scope = forms.ChoiceField(
        choices=KeyScope.choices,
        initial=KeyScope.INGEST,
        help_text="Ingest keys can only send data; full keys can do everything a researcher can.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.RESEARCHER)


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = [
            "name",
            "time_zone",
            "revenue_event",
            "revenue_property",
            "currency",
            "segment_refresh_minutes",
        ]
        labels = {
            "name": "Workspace name",
            "segment_refresh_minutes": "Recompute segments every (minutes)",
        }
        help_texts = {
            "time_zone": "Decides calendar days and hours in segment rules, e.g. Europe/Berlin.",
            "revenue_event": "The purchase event whose amounts give each segment's share of "
            "revenue, e.g. Order Completed. Leave empty to hide revenue shares.",
            "revenue_property": "The numeric property of that event holding the amount.",
            "currency": "The currency of those amounts: revenue and spend are shown in it.",
        }


class NewWorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, label="Workspace name")


class AcceptInviteForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput, min_length=8, help_text="At least 8 characters."
    )
