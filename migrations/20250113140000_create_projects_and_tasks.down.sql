DROP INDEX tasks_project_status_idx;
DROP TABLE tasks;
DROP TABLE projects;
