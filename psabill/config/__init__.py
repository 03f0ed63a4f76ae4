"""psabill.config"""
