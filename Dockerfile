# The portal's image, for compose.yaml (web and worker run the same image).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY drenfax_portal drenfax_portal
COPY faxes faxes
COPY fax_numbers fax_numbers
COPY templates templates
COPY static static
COPY deploy deploy
COPY manage.py Procfile ./
RUN pip install --no-cache-dir . && useradd --system portal && mkdir -p var && chown portal var
USER portal
ENV DEBUG=false STATIC_ROOT=/app/var/static
RUN SECRET_KEY=build ALLOWED_HOSTS=build python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "drenfax_portal.wsgi"]
