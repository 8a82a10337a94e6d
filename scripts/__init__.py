"""The funding warehouse's pipeline steps around dbt: input checks, validation, publishing."""
