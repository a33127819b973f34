FROM python:3.11-slim
WORKDIR /app
COPY . .
# the same pinned versions the tests ran against (requirements.lock.txt)
RUN pip install --no-cache-dir -c requirements.lock.txt .
