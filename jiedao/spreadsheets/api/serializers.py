from rest_framework import serializers

from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.specs import find_spec


class ImportJobSerializer(serializers.ModelSerializer):
    spec_label = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "spec_key",
            "spec_label",
            "original_name",
            "file_format",
            "file_size",
            "org",
            "status",
            "status_display",
            "header_row",
            "total_rows",
            "rows_processed",
            "created_count",
            "updated_count",
            "error_count",
            "example_count",
            "resume_after_row",
            "percent",
            "started_at",
            "finished_at",
            "failure_message",
            "created_at",
        ]

    def get_spec_label(self, job: ImportJob) -> str:
        spec = find_spec(job.spec_key)
        return str(spec.label) if spec else job.spec_key
