#!/usr/bin/env bash
# Start the web server, the task worker and the periodic scheduler; stop all three on Ctrl-C.
set -euo pipefail
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export JIEDAO_DEBUG=${JIEDAO_DEBUG:-0}
# Links the platform sends out (SMS rating links, the rating pads' pairing link) point at this server.
export JIEDAO_PUBLIC_URL=${JIEDAO_PUBLIC_URL:-http://$HOST:$PORT}
LOGS=${JIEDAO_VAR_DIR:-var}
mkdir -p "$LOGS"
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

"$BIN/python" manage.py db_worker --queue-name default >"$LOGS/worker.log" 2>&1 &
pids+=($!)
"$BIN/python" manage.py run_scheduler >"$LOGS/scheduler.log" 2>&1 &
pids+=($!)
"$BIN/gunicorn" jiedao.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --access-logfile "$LOGS/access.log" --error-logfile "$LOGS/server.log" \
  --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms' &
pids+=($!)

sleep 2
echo
echo "街道政务服务平台已启动：http://$HOST:$PORT/workbench/  （公众门户：http://$HOST:$PORT/）"
echo "后台任务日志：$LOGS/worker.log、$LOGS/scheduler.log；按 Ctrl-C 停止。"
wait -n "${pids[@]}"
