-- The Temporal server keeps its own databases beside the app's.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
