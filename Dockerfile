# One image for both production processes: `npm run api` and `npm run worker`.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# Bundle workflow code at build time, so workers start without webpack.
RUN node scripts/bundle-workflows.ts /app/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js
USER node
EXPOSE 3000 9464
CMD ["node", "api/server.ts"]
