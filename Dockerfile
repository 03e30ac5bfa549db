FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The board pack's PDF: Pango for WeasyPrint's layout, Chromium for Kaleido to draw the charts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core chromium \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip
COPY . .
RUN pip install --no-cache-dir -e . \
 && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput
RUN useradd --create-home growthops && chown -R growthops /app
USER growthops
EXPOSE 8000
CMD ["gunicorn", "growthops.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
